import { CapturedError } from "@sluice/core";
import {
  captureError,
  captureProperties,
  captureValue,
  createLogEvent,
  defaultCaptureOptions,
  estimateEventBytes,
  LogEventRecord,
  resolveCaptureOptions,
} from "@sluice/core/sink";
import { describe, expect, it } from "vitest";

describe("capture through the public API", () => {
  it("createLogEvent parses, captures and snapshots", () => {
    const properties = { UserId: 42, roles: ["admin"] };
    const event = createLogEvent({
      level: "warn",
      template: "User {UserId} with {@roles}",
      properties,
      error: new Error("denied", { cause: "policy" }),
      timestamp: 1234,
    });
    properties.roles.push("root");
    expect(event).toBeInstanceOf(LogEventRecord);
    expect(event.timestamp).toBe(1234);
    expect(event.level).toBe("warn");
    expect(event.template.text).toBe("User {UserId} with {@roles}");
    expect(event.properties).toEqual({ UserId: 42, roles: ["admin"] });
    expect(event.error).toBeInstanceOf(CapturedError);
    expect(event.error?.cause).toBe("policy");
    expect(estimateEventBytes(event)).toBeGreaterThan(0);
  });

  it("applies resolved options: limits and redaction", () => {
    const options = resolveCaptureOptions({ maxStringLength: 10, redact: { keys: ["secret"] } });
    expect(captureProperties({ name: "abcdefghijklm", secret: "s" }, undefined, options)).toEqual({
      name: "abcdefghij…[truncated 3 chars]",
      secret: "[Redacted]",
    });
    expect(captureValue(10n, defaultCaptureOptions)).toBe(10n);
    expect(captureError("thrown string").name).toBe("NonError");
  });
});
