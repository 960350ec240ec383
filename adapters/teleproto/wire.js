#!/usr/bin/env node
// Wire client driver for teleproto (npm `teleproto`), GramJS's successor with GramJS's module
// layout: the GramJS driver's code (`adapters/gramjs/wire.js`), loading `teleproto` from this
// directory's node_modules.
"use strict";
const { createRequire } = require("module");
const path = require("path");
const { runWire } = require("../gramjs/wire.js");
runWire("teleproto", "teleproto", createRequire(path.join(__dirname, "package.json")))
  .catch((e) => {
    process.stdout.write(JSON.stringify({ event: "error", detail: `driver crashed: ${e && e.stack}` }) + "\n");
    process.exit(1);
  });
