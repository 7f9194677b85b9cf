#!/usr/bin/env node
// npm links bins only if the file exists at install time, so this shim is committed and loads the build.
import '../dist/cli.js';
