import { type Component, defineAsyncComponent } from 'vue';

/** A chunk that could not be fetched is asked for again this often, this many times (a minute). */
const RETRY_MS = 1000;
const ATTEMPTS = 60;

/**
 * A component loaded after the first screen. If its chunk cannot be fetched (the server is
 * restarting, the network dropped), it is fetched again every second, at most a minute, rather
 * than turning into an error that takes the whole app down.
 */
export function lazyComponent(loader: () => Promise<Component | { default: Component }>): Component {
  return defineAsyncComponent({
    loader,
    onError: (_error, retry, fail, attempts) => {
      if (attempts <= ATTEMPTS) setTimeout(retry, RETRY_MS);
      else fail();
    },
  });
}

/**
 * A route's screen, loaded when first visited, fetched again the same way: the navigation waits
 * (the current screen stays) instead of ending on the error screen.
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
