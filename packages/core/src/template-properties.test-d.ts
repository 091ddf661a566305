// Compile-time tests, checked by `pnpm typecheck`: a wrong call below must fail to compile, or
// its `@ts-expect-error` becomes an error itself.
import { expectTypeOf } from "vitest";
import type { Logger } from "./logger.ts";
import type {
  LogArguments,
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

// The runtime parser's rules (template-parser.test.ts has the same cases).
// Dotted names are names.
expectTypeOf<TemplateHoleNames<"Hi {User.Id} {te.st.na.me}">>().toEqualTypeOf<
  "User.Id" | "te.st.na.me"
>();
expectTypeOf<
  TemplateHoleNames<"{.testname} {testname.} {.} {..} {test..name} {10.name} {User.0}">
>().toEqualTypeOf<never>();
// A zero alignment is an alignment; a bad one leaves the hole as text.
expectTypeOf<TemplateHoleNames<"[{Lvl,0}] {A,-0} {B,-5:000}">>().toEqualTypeOf<"Lvl" | "A" | "B">();
expectTypeOf<
  TemplateHoleNames<"{H,+10} {H,-aa} {H,aa} {H,-10-1} {H,10-1} {H,} {H,:f} {H, 1} {H,-}">
>().toEqualTypeOf<never>();
// Widths fit in 32 bits, leading zeros aside.
expectTypeOf<
  TemplateHoleNames<"{A,2147483647} {B,-0002147483647} {C,2147483648} {D,99999999999}">
>().toEqualTypeOf<"A" | "B">();
// A format is any text but `}`: `$`, `<`, a backtick, `+`, `,` and `{` included.
expectTypeOf<TemplateHoleNames<"{T:HH$mm} {N:+##.0}">>().toEqualTypeOf<"T" | "N">();
expectTypeOf<
  TemplateHoleNames<"{A:HH<MM} {B:HH`MM} {C:000,-5} {D:##.0;-##.0;zero} {E:{x}">
>().toEqualTypeOf<"A" | "B" | "C" | "D" | "E">();
// A name starting with a digit is all digits or text.
expectTypeOf<TemplateHoleNames<"{0a} {0_} {0 space} {3.1415} {-1}">>().toEqualTypeOf<never>();
expectTypeOf<TemplateHoleNames<"{0}}space} {_123_Hello} {007}">>().toEqualTypeOf<
  "0" | "_123_Hello" | "007"
>();
// A hole runs to the first `}`: escapes inside a malformed hole are part of its text.
expectTypeOf<TemplateHoleNames<"{0_{{space} {Hello {Name} {{{A}">>().toEqualTypeOf<"A">();
expectTypeOf<TemplateHoleNames<"{@$} {$@} {@} {$} {@@A} {,,} {}">>().toEqualTypeOf<never>();
expectTypeOf<TemplateHoleNames<"{@A.B} {$C,3}">>().toEqualTypeOf<"A.B" | "C">();
// Names the types cannot read (not ASCII) require nothing.
expectTypeOf<TemplateHoleNames<"{Größe}">>().toEqualTypeOf<never>();

info("Hi {User.Id}", { "User.Id": 7 });
info("[{Lvl,0}]", { Lvl: "x" });
info("{T:HH$mm} {N:+##.0}", { T: new Date(), N: 1 });
info("{0a} is text", {});
info("{0a} is text");
// @ts-expect-error a dotted hole needs its dotted property
info("Hi {User.Id}", { User: { Id: 7 } });
// @ts-expect-error a zero-aligned hole is a hole
info("[{Lvl,0}]", {});
// @ts-expect-error both holes of a `$` format
info("{T:HH$mm} {N:+##.0}", { T: 1 });

info("User {UserId} in {@Place}", { UserId: 1, Place: {}, Extra: 2 });
info("no holes");
info("no holes", { Anything: 1 });
info(someString, { any: 1 });
info(someString);
info("{0} and {1}", ["a", "b"]);
// An array fills positional holes only.
// @ts-expect-error a named hole cannot come from an array
info("{0} and {Name}", ["a", "b"]);
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
log.error(caught, someString, { any: 1 });
log.fatal(new Error("boom"), "{0} of {1}", [1, 2]);
// @ts-expect-error an error first needs a template
log.error(new Error("boom"));
// @ts-expect-error the template is a string
log.error(new Error("boom"), 42);
// @ts-expect-error a template without an error takes no third argument
log.info("Plain message", {}, {});

// The argument types the methods take, by first argument.
expectTypeOf<LogArguments<"User {UserId}", string>>().toEqualTypeOf<
  [properties: TemplateProperties<"User {UserId}">]
>();
expectTypeOf<LogArguments<Error, "Done">>().toEqualTypeOf<
  [template: "Done", properties?: Readonly<Record<string, unknown>>]
>();

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
