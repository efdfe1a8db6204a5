import { type InjectionKey, type Ref, inject, onBeforeUnmount, onMounted, ref } from 'vue';

/**
 * The member list's drawer on narrow screens: ChatLayout owns it (its header has the button),
 * the member list (deep inside the channel view) slides in as it says. `shown` counts the
 * member lists on the page, so the button only appears when there is one to open.
 */
export interface MemberDrawer {
  open: Ref<boolean>;
  shown: Ref<number>;
}

export const MEMBER_DRAWER: InjectionKey<MemberDrawer> = Symbol('member drawer');

export function createMemberDrawer(): MemberDrawer {
  return { open: ref(false), shown: ref(0) };
}

/** For the member list: its drawer state (closed when outside a ChatLayout), counted while mounted. */
export function useMemberDrawer(): MemberDrawer {
  const drawer = inject(MEMBER_DRAWER, null) ?? createMemberDrawer();
  onMounted(() => drawer.shown.value++);
  onBeforeUnmount(() => {
    drawer.shown.value--;
    if (!drawer.shown.value) drawer.open.value = false;
  });
  return drawer;
}
