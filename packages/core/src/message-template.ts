/**
 * How a hole asks for its value to be captured.
 *
 * - `default` (`{Name}`): scalars as they are, objects and arrays as structured data.
 * - `destructure` (`{@Name}`): structured data, always.
 * - `stringify` (`{$Name}`): the value's string form, `String(value)`.
 */
export type CaptureHint = "default" | "destructure" | "stringify";

/** The alignment of a hole, `{Name,10}` (right) or `{Name,-10}` (left). */
export interface Alignment {
  /** Which side the value is pushed to; the padding goes on the other side. */
  readonly direction: "left" | "right";
  /** The minimum width in characters. */
  readonly width: number;
}

/** Literal text of a message template, escapes (`{{`, `}}`) already resolved. */
export interface TextToken {
  /** Discriminant. */
  readonly kind: "text";
  /** The text as it renders. */
  readonly text: string;
}

/** A hole of a message template, such as `{@Order}` or `{Elapsed:0.00,8}`. */
export interface PropertyToken {
  /** Discriminant. */
  readonly kind: "property";
  /** The property name, without the `@` or `$` hint. */
  readonly name: string;
  /** The capture hint written before the name. */
  readonly capture: CaptureHint;
  /** The format after `:`, e.g. `"0.00"` or `"yyyy-MM-dd"`; `undefined` when absent. */
  readonly format: string | undefined;
  /** The alignment after `,`; `undefined` when absent. */
  readonly alignment: Alignment | undefined;
  /** The hole exactly as written, braces included. */
  readonly raw: string;
  /** For a positional hole such as `{0}`, its index; `undefined` for named holes. */
  readonly position: number | undefined;
}

/** One piece of a parsed message template. */
export type TemplateToken = TextToken | PropertyToken;

/**
 * A parsed message template. Parsing is total: every string is a template, and a malformed hole
 * is kept as literal text.
 */
export interface MessageTemplate {
  /** The template's source text, as the caller wrote it. */
  readonly text: string;
  /** The text and hole tokens, in order. */
  readonly tokens: readonly TemplateToken[];
  /** The hole tokens only, in order. */
  readonly properties: readonly PropertyToken[];
  /**
   * A stable event type id derived from the source text (8 hex digits, Jenkins' one-at-a-time
   * hash of its UTF-16 code units, the values Serilog's compact JSON writes), written as `@i` by
   * the CLEF formatter.
   */
  readonly id: string;
}
