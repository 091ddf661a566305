// The names of the file scenarios' subjects, apart from the subjects themselves so that the runner
// can list them without loading every library.

/** The subjects of the file scenarios, by name, in the order the runner runs them. */
export const fileSubjectNames = [
  "sluice",
  "sluice-queue",
  "pino",
  "pino-transport",
  "winston",
  "logtape",
  "floor",
] as const;

/** The name of one of the file scenarios' subjects. */
export type FileSubjectName = (typeof fileSubjectNames)[number];
