import { type Component, defineAsyncComponent } from 'vue';

/** A chunk that could not be fetched is asked for again this often, this many times (a minute). */
const RETRY_MS = 1000;
const ATTEMPTS = 60;

/**
 * A route's screen, loaded when first visited. If its chunk cannot be fetched (the server is
 * restarting, the network dropped), it is fetched again every second, at most a minute: the
 * navigation waits (the current screen stays) instead of ending on the error screen.
 */
export function lazyRoute<T>(loader: () => Promise<T>): () => Promise<T> {
  return async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await loader();
      } catch (error) {
        if (attempt > ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  };
}

/** A component loaded after the first screen, fetched again the same way rather than taking the whole app down. */
export function lazyComponent(loader: () => Promise<Component | { default: Component }>): Component {
  return defineAsyncComponent(lazyRoute(loader));
}
