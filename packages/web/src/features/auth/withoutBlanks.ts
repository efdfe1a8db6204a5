/** The form's values with the named optional fields left out when blank (the API wants them absent). */
export function withoutBlanks<T extends Record<string, string>, K extends keyof T>(form: T, optional: readonly K[]): Omit<T, K> & Partial<Pick<T, K>> {
  const body: Partial<T> = { ...form };
  for (const key of optional) if (!form[key]?.trim()) delete body[key];
  return body as Omit<T, K> & Partial<Pick<T, K>>;
}
