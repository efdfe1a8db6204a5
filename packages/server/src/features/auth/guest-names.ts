import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'Amber',
  'Brave',
  'Bright',
  'Calm',
  'Clever',
  'Cosmic',
  'Curious',
  'Daring',
  'Eager',
  'Gentle',
  'Golden',
  'Happy',
  'Jolly',
  'Kind',
  'Lively',
  'Lucky',
  'Mellow',
  'Misty',
  'Nimble',
  'Quiet',
  'Rapid',
  'Silver',
  'Sunny',
  'Swift',
  'Witty',
  'Zesty',
];
const ANIMALS = [
  'Badger',
  'Beaver',
  'Crane',
  'Dolphin',
  'Falcon',
  'Ferret',
  'Fox',
  'Gecko',
  'Heron',
  'Koala',
  'Lynx',
  'Marten',
  'Moose',
  'Narwhal',
  'Otter',
  'Owl',
  'Panda',
  'Puffin',
  'Quokka',
  'Raven',
  'Robin',
  'Seal',
  'Sparrow',
  'Tiger',
  'Walrus',
  'Wombat',
];

/** "Brave Otter": a friendly display name for a guest who didn't choose one. */
export function guestDisplayName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]} ${ANIMALS[randomInt(ANIMALS.length)]}`;
}

/** "guest_k3x9m2qa": unique enough that a clash (retried by the caller) is vanishingly rare. */
export function guestUsername(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  let suffix = '';
  for (let i = 0; i < 8; i++) suffix += alphabet[randomInt(alphabet.length)];
  return `guest_${suffix}`;
}
