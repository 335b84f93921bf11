#!/usr/bin/env node
// The `digest` command. Sources are TypeScript run through tsx's loader, so there is no build step
// between a git pull and a running service.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
