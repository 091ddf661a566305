// Compile-time reading of message templates: the property names a template's holes need. The
// rules mirror the runtime parser for names made of ASCII letters, digits and `_`; a hole the
// types cannot read (a non-ASCII name) requires nothing rather than something wrong.

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
type NameCharacter = Digit | Lower | Uppercase<Lower> | "_";

type IsName<Text extends string> = Text extends ""
  ? false
  : Text extends `${infer Head}${infer Rest}`
    ? Head extends NameCharacter
      ? Rest extends ""
        ? true
        : IsName<Rest>
      : false
    : false;

type WithoutHint<Content extends string> = Content extends `@${infer Name}`
  ? Name
  : Content extends `$${infer Name}`
    ? Name
    : Content;

type BeforeColon<Text extends string> = Text extends `${infer Name}:${string}` ? Name : Text;
type BeforeComma<Text extends string> = Text extends `${infer Name},${string}` ? Name : Text;

type HoleName<Content extends string> =
  BeforeComma<BeforeColon<WithoutHint<Content>>> extends infer Name extends string
    ? IsName<Name> extends true
      ? Name
      : never
    : never;

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

/**
 * The rest parameters of a logging method for a template: the properties are required when the
 * template is a literal with holes, optional otherwise.
 */
export type PropertiesArgument<Template extends string> = string extends Template
  ? [properties?: Readonly<Record<string, unknown>> | readonly unknown[]]
  : [TemplateHoleNames<Template>] extends [never]
    ? [properties?: Readonly<Record<string, unknown>>]
    : [
        properties:
          | TemplateProperties<Template>
          // Positional holes (`{0}`, `{1}`) can also take an array.
          | (readonly unknown[] & { readonly [Name in TemplateHoleNames<Template>]: unknown }),
      ];
