import { defineStore } from 'pinia';
import { computed, watch } from 'vue';
import { useUnread } from '../chat/unread';

const FAVICON = '/favicon.svg';
const SIZE = 64;

/**
 * The unread count (mentions and DMs) where people see it with the tab in the background: in
 * the title, "(3) Parley", and as a red badge drawn over the favicon.
 */
export const useTabBadge = defineStore('tabBadge', () => {
  const unread = useUnread();
  const count = computed(() => unread.tracker.totalMentions());
  let logo: Promise<HTMLImageElement> | null = null;
  /** Only the latest count's drawing may land: counts can change faster than images load. */
  let drawing = 0;

  watch(
    count,
    (n) => {
      document.title = `${n ? `(${n}) ` : ''}${document.title.replace(/^\(\d+\+?\) /, '')}`;
      void setFavicon(n);
    },
    { immediate: true },
  );

  async function setFavicon(n: number): Promise<void> {
    const turn = ++drawing;
    const href = n ? await badged(n).catch(() => FAVICON) : FAVICON;
    if (turn !== drawing) return;
    let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (!link) {
      link = document.createElement('link');
      link.rel = 'icon';
      document.head.append(link);
    }
    link.type = href === FAVICON ? 'image/svg+xml' : 'image/png';
    link.href = href;
  }

  /** The logo with the count in a red circle at its top right, as a PNG data URL. */
  async function badged(n: number): Promise<string> {
    logo ??= new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = reject;
      image.src = FAVICON;
    });
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = SIZE;
    const context = canvas.getContext('2d');
    if (!context) return FAVICON;
    context.drawImage(await logo, 0, 0, SIZE, SIZE);
    const label = n > 99 ? '99+' : String(n);
    const radius = label.length > 1 ? 24 : 20;
    context.beginPath();
    context.arc(SIZE - radius, radius, radius, 0, Math.PI * 2);
    context.fillStyle = '#d92626';
    context.fill();
    context.fillStyle = '#ffffff';
    context.font = `bold ${label.length > 2 ? 22 : 30}px system-ui, sans-serif`;
    context.textAlign = 'center';
    context.textBaseline = 'middle';
    context.fillText(label, SIZE - radius, radius + 2);
    return canvas.toDataURL('image/png');
  }

  return { count };
});
