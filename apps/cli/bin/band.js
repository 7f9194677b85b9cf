#!/usr/bin/env node
// A committed shim: npm links workspace bins only when the target exists at install time,
// and dist/ does not exist until the first build.
import '../dist/main.js';
