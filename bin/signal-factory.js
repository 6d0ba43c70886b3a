#!/usr/bin/env node
// The package bin: runs the compiled CLI (npm run build writes dist/).
import('../dist/src/cli/index.js').then((m) => m.main(process.argv.slice(2)));
