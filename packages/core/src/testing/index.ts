// @sluice/core/testing: tools for tests of code that logs and of sinks.
export {};
