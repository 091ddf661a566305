// Compile-time reading of message templates: the property names a template's holes need, by
// the runtime parser's rules (template-parser.ts). The types see ASCII only: a hole whose name has
// any other character (`{Größe}`) requires nothing rather than something wrong.

type Digit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";
type Lower =
  | "a"
  | "b"
  | "c"
  | "d"
  | "e"
  | "f"
  | "g"
  | "h"
  | "i"
  | "j"
  | "k"
  | "l"
  | "m"
  | "n"
  | "o"
  | "p"
  | "q"
  | "r"
  | "s"
  | "t"
  | "u"
  | "v"
  | "w"
  | "x"
  | "y"
  | "z";
type Letter = Lower | Uppercase<Lower>;

type IsDigits<Text extends string> = Text extends `${infer Head}${infer Rest}`
  ? Head extends Digit
    ? Rest extends ""
      ? true
      : IsDigits<Rest>
    : false
  : false;

// After the first character of a dotted part: letters, digits, `_`, or a dot that starts a new
// part.
type IsIdentifierRest<Text extends string> = Text extends ""
  ? true
  : Text extends `${infer Head}${infer Rest}`
    ? Head extends "."
      ? IsIdentifier<Rest>
      : Head extends Letter | Digit | "_"
        ? IsIdentifierRest<Rest>
        : false
    : false;

// One or more parts joined by dots, each starting with a letter or `_`: `User.Id`.
type IsIdentifier<Text extends string> = Text extends `${infer Head}${infer Rest}`
  ? Head extends Letter | "_"
    ? IsIdentifierRest<Rest>
    : false
  : false;

type IsName<Text extends string> = IsDigits<Text> extends true ? true : IsIdentifier<Text>;

type WithoutLeadingZeros<Text extends string> =
  Text extends `0${infer Rest extends `${Digit}${string}`}` ? WithoutLeadingZeros<Rest> : Text;

type DigitBefore<
  Low extends string,
  High extends string,
> = "0123456789" extends `${string}${Low}${string}${High}${string}` ? true : false;

// Two digit strings of the same length, compared as numbers.
type AtMost<Text extends string, Limit extends string> = Text extends `${infer Head}${infer Rest}`
  ? Limit extends `${infer LimitHead}${infer LimitRest}`
    ? Head extends LimitHead
      ? AtMost<Rest, LimitRest>
      : DigitBefore<Head, LimitHead>
    : false
  : true;

type Length<
  Text extends string,
  Count extends unknown[] = [],
> = Text extends `${string}${infer Rest}` ? Length<Rest, [...Count, unknown]> : Count["length"];

// A width fits in 32 bits, as .NET's `int.TryParse` requires.
type FitsInt32<Digits extends string> =
  Length<WithoutLeadingZeros<Digits>> extends infer Size extends number
    ? [Size] extends [0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9]
      ? true
      : Size extends 10
        ? AtMost<WithoutLeadingZeros<Digits>, "2147483647">
        : false
    : false;

// `-` then digits, or digits: `{Name,10}`, `{Name,-10}`, `{Name,0}`.
type IsAlignment<Text extends string> = Text extends `-${infer Digits}`
  ? IsDigits<Digits> extends true
    ? FitsInt32<Digits>
    : false
  : IsDigits<Text> extends true
    ? FitsInt32<Text>
    : false;

type WithoutHint<Text extends string> = Text extends `@${infer Name}`
  ? Name
  : Text extends `$${infer Name}`
    ? Name
    : Text;

type NameIfValid<NameWithHint extends string> =
  IsName<WithoutHint<NameWithHint>> extends true ? WithoutHint<NameWithHint> : never;

// The name a hole's content (between its braces) gives, or never when the hole is text. The
// content splits at the first `:` or `,`: a `:` first starts the format (any text); a `,` first
// starts an alignment that runs to the next `:`.
type HoleName<Content extends string> = Content extends `${infer Head}:${string}`
  ? Head extends `${infer Name},${infer Alignment}`
    ? IsAlignment<Alignment> extends true
      ? NameIfValid<Name>
      : never
    : NameIfValid<Head>
  : Content extends `${infer Name},${infer Alignment}`
    ? IsAlignment<Alignment> extends true
      ? NameIfValid<Name>
      : never
    : NameIfValid<Content>;

// A hole runs from a `{` (not `{{`) to the next `}`, whatever lies between; malformed, it is text.
type CollectHoles<
  Text extends string,
  Found extends string,
> = Text extends `${string}{${infer After}`
  ? After extends `{${infer Rest}`
    ? CollectHoles<Rest, Found>
    : After extends `${infer Content}}${infer Rest}`
      ? CollectHoles<Rest, Found | HoleName<Content>>
      : Found
  : Found;

/**
 * The property names a message template's holes refer to, as a union of string literals:
 * `TemplateHoleNames<"User {UserId} from {@Location:l}">` is `"UserId" | "Location"`. Escaped
 * braces (`{{`, `}}`) are not holes; a positional hole `{0}` gives `"0"`.
 */
export type TemplateHoleNames<Template extends string> = CollectHoles<Template, never>;

/**
 * The properties object a template needs: one property per hole (extra properties allowed).
 * For a template typed `string` rather than a literal, any record.
 */
export type TemplateProperties<Template extends string> = string extends Template
  ? Readonly<Record<string, unknown>>
  : [TemplateHoleNames<Template>] extends [never]
    ? Readonly<Record<string, unknown>>
    : { readonly [Name in TemplateHoleNames<Template>]: unknown } & Readonly<
        Record<string, unknown>
      >;

// The holes that are not positional: an array's indexes can fill only `{0}`, `{1}`, ...
type NamedHoles<Names extends string> = Names extends string
  ? IsDigits<Names> extends true
    ? never
    : Names
  : never;

/**
 * The rest parameters of a logging method for a template: the properties are required when the
 * template is a literal with holes, optional otherwise. A template whose holes are all
 * positional (`{0}`, `{1}`) can take an array.
 */
export type PropertiesArgument<Template extends string> = string extends Template
  ? [properties?: Readonly<Record<string, unknown>> | readonly unknown[]]
  : [TemplateHoleNames<Template>] extends [never]
    ? [properties?: Readonly<Record<string, unknown>>]
    : [NamedHoles<TemplateHoleNames<Template>>] extends [never]
      ? [
          properties:
            | TemplateProperties<Template>
            | (readonly unknown[] & { readonly [Name in TemplateHoleNames<Template>]: unknown }),
        ]
      : [properties: TemplateProperties<Template>];

/**
 * The parameters of a logging method after the first: for a template first, its properties
 * (see {@link PropertiesArgument}); for an error first (anything not a string), the template and
 * then its properties. One signature rather than two overloads, so that a wrong properties
 * object is reported against the template's own properties type, naming the missing property.
 */
export type LogArguments<First, Template extends string> = First extends string
  ? PropertiesArgument<First>
  : [template: Template, ...properties: PropertiesArgument<Template>];
