// Compile-time tests, checked by `pnpm typecheck`: a wrong call below must fail to compile, or
// its `@ts-expect-error` becomes an error itself.
import { expectTypeOf } from "vitest";
import type { Logger } from "./logger.ts";
import type {
  PropertiesArgument,
  TemplateHoleNames,
  TemplateProperties,
} from "./template-properties.ts";

declare function info<const Template extends string>(
  template: Template,
  ...properties: PropertiesArgument<Template>
): void;
declare const someString: string;
declare const log: Logger;
declare const caught: unknown;

expectTypeOf<TemplateHoleNames<"User {UserId} in {@Place} at {$When:HH:mm,8}">>().toEqualTypeOf<
  "UserId" | "Place" | "When"
>();
expectTypeOf<
  TemplateHoleNames<"{{Escaped}} and {Real} and {{NotAHole}}">
>().toEqualTypeOf<"Real">();
expectTypeOf<TemplateHoleNames<"{0} then {1}">>().toEqualTypeOf<"0" | "1">();
expectTypeOf<TemplateHoleNames<"no holes">>().toEqualTypeOf<never>();
expectTypeOf<TemplateHoleNames<"{not a hole} { } {}">>().toEqualTypeOf<never>();
expectTypeOf<TemplateHoleNames<"{Name,-10}">>().toEqualTypeOf<"Name">();
expectTypeOf<TemplateProperties<string>>().toEqualTypeOf<Readonly<Record<string, unknown>>>();

info("User {UserId} in {@Place}", { UserId: 1, Place: {}, Extra: 2 });
info("no holes");
info("no holes", { Anything: 1 });
info(someString, { any: 1 });
info(someString);
info("{0} and {1}", ["a", "b"]);
// @ts-expect-error a hole's property is missing
info("User {UserId} in {@Place}", { UserId: 1 });
// @ts-expect-error a hole's property is misspelled
info("User {UserId} logged in", { UserID: 1 });
// @ts-expect-error properties are required when the template has holes
info("User {UserId} logged in");

log.info("User {UserId} logged in", { UserId: 42 });
log.error(new Error("boom"), "Payment {OrderId} failed", { OrderId: "A-17" });
log.warn(caught, "Request failed");
log.debug("Plain message");
// @ts-expect-error the logger checks holes too
log.info("User {UserId} logged in", { User: 42 });
// @ts-expect-error and with an error first
log.error(new Error("boom"), "Payment {OrderId} failed", {});

// Twenty holes stay cheap to check.
info("{A}{B}{C}{D}{E}{F}{G}{H}{I}{J}{K}{L}{M}{N}{O}{P}{Q}{R}{S}{T}", {
  A: 1,
  B: 1,
  C: 1,
  D: 1,
  E: 1,
  F: 1,
  G: 1,
  H: 1,
  I: 1,
  J: 1,
  K: 1,
  L: 1,
  M: 1,
  N: 1,
  O: 1,
  P: 1,
  Q: 1,
  R: 1,
  S: 1,
  T: 1,
});
