// @sluice/sink-file: a buffered, self-healing file sink with rolling and retention.
export {
  createFileSink,
  type FileSink,
  type FileSinkStats,
} from "./file-sink.ts";
export type { Durability, FileSinkOptions, RollingOptions } from "./file-sink-options.ts";
