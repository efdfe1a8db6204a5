import { type Component, defineAsyncComponent } from 'vue';

/**
 * A component loaded after the first screen. If its chunk cannot be fetched (the server is
 * restarting, the network dropped), it is fetched again every second, at most a minute, rather
 * than turning into an error that takes the whole app down.
 */
export function lazyComponent(loader: () => Promise<Component | { default: Component }>): Component {
  return defineAsyncComponent({
    loader,
    onError: (_error, retry, fail, attempts) => {
      if (attempts <= 60) setTimeout(retry, 1000);
      else fail();
    },
  });
}
