#!/bin/bash -eu
# OSS-Fuzz build script (projects/mtproto-harness/build.sh in google/oss-fuzz): the repository's
# own ClusterFuzzLite build, so both build the same targets, seed corpora and dictionaries.
exec "$SRC/mtproto-harness/.clusterfuzzlite/build.sh"
