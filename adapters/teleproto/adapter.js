#!/usr/bin/env node
// mtproto-harness adapter for teleproto (npm `teleproto`), GramJS's successor with GramJS's module
// layout: the GramJS adapter's code, loading `teleproto` from this directory's node_modules.
"use strict";
const { createRequire } = require("module");
const path = require("path");
const { run } = require("../gramjs/adapter.js");
run("teleproto", "teleproto", createRequire(path.join(__dirname, "package.json")));
