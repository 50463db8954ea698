// The one entry point to @peculiar/x509 in this project. The library resolves its algorithm
// providers through tsyringe, which needs the Reflect metadata API to exist before it is loaded.
// Import x509 from this file, never from '@peculiar/x509' directly (lint enforces it): ESM evaluates
// imports in order, so the polyfill below always runs before the library.
import 'reflect-metadata';

export * from '@peculiar/x509';
