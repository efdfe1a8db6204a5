import { issuesToProblems } from '@parley/protocol';
import { reactive } from 'vue';
import type { z } from 'zod';
import { errorMessage, fieldErrors, messagesByField } from '../api';

/**
 * The state every form shares: busy while submitting, problems by field (shown under each
 * input), a general error (shown above the form) and whether the last submit succeeded.
 */
export function useForm() {
  const state = reactive({ busy: false, done: false, error: null as string | null, fields: {} as Record<string, string> });

  /**
   * Checks `value` against `schema` first when given (the same schema the server applies, so
   * most mistakes show without a round trip), then runs the action. True when it succeeded.
   */
  async function submit(action: () => Promise<unknown>, check?: { schema: z.ZodType; value: unknown }): Promise<boolean> {
    state.error = null;
    state.done = false;
    if (check) {
      const local = check.schema.safeParse(check.value, { reportInput: true });
      if (!local.success) {
        state.fields = messagesByField(issuesToProblems(local.error.issues));
        return false;
      }
    }
    state.fields = {};
    state.busy = true;
    try {
      await action();
      state.done = true;
      return true;
    } catch (e) {
      state.fields = fieldErrors(e);
      if (!Object.keys(state.fields).length) state.error = errorMessage(e);
      return false;
    } finally {
      state.busy = false;
    }
  }

  return { state, submit };
}
