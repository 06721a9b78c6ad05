/** A response's body as text, and parsed when it is JSON (undefined when it is not). */
export async function readBody(response: Response): Promise<{ text: string; json: any }> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { text, json };
}
