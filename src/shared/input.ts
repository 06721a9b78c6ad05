import { BadUserInputError } from '../errors';

/** The longest text accepted for each kind of input, in characters (GraphQL and the legacy API alike). */
export const TEXT_LIMITS = { type: 100, subject: 255, name: 254, text: 65_535 } as const;

/** Trims a required text; empty after trimming counts as missing. */
export function requiredText(value: string | null | undefined, field: string): string {
  const text = value?.trim() ?? '';
  if (text === '') throw new BadUserInputError(field, `${field} is required and must not be empty`);
  return text;
}

/** Trims an optional text; empty after trimming counts as absent. */
export function optionalText(value: string | null | undefined): string | undefined {
  const text = value?.trim();
  return text ? text : undefined;
}
