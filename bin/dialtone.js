#!/usr/bin/env node
// Thin launcher so `dialtone` works from an installed package and from a checkout after `npm run build`.
import '../dist/cli/main.js';
