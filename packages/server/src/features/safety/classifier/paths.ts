import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the data set and the model file live in the source tree (training and evaluation only: the server imports model.json). */
const here = path.dirname(fileURLToPath(import.meta.url));
export const DATA_DIR = path.join(here, 'data');
export const MODEL_FILE = path.join(here, 'model.json');
