// Type-aware linting of .vue files, without rebuilding TypeScript's program once per component.
//
// vue-eslint-parser hands typescript-eslint a component's script (not the whole .vue file), and
// typescript-eslint opens the file in TypeScript's project service with that text. TypeScript had
// read the file from disk as the whole SFC, so the open changes it: the project is marked dirty
// and its program and type checker are rebuilt for every component linted (85 of lint's ~150 s of
// CPU went there). Here TypeScript reads a .vue file as the very script the parser will hand over,
// so opening it changes nothing. Only the text TypeScript sees before the open changes; what is
// linted is what vue-eslint-parser passes, as before.
import ts from 'typescript';
import tseslint from 'typescript-eslint';
import vueParser from 'vue-eslint-parser';

/** Stops vue-eslint-parser once it has handed over the script: nothing after it is needed here. */
class Captured {
  constructor(script) {
    this.script = script;
  }
}

/** The script text vue-eslint-parser passes to the type-aware parser for `sfc` (null if none). */
function typedScriptOf(sfc, filePath) {
  const capture = {
    parseForESLint(code, options) {
      // The template's expressions are parsed too, without the project service: not those.
      if (options.projectService) throw new Captured(code);
      return tseslint.parser.parseForESLint(code, options);
    },
  };
  try {
    vueParser.parseForESLint(sfc, { parser: capture, filePath, ecmaVersion: 'latest', sourceType: 'module', projectService: true, extraFileExtensions: ['.vue'] });
  } catch (stop) {
    if (stop instanceof Captured) return stop.script;
    // A component that does not parse is reported when linted; TypeScript reads it as it is.
  }
  return null;
}

/** Makes TypeScript (this process's, which typescript-eslint shares) read .vue files as their scripts. */
export function readVueFilesAsScripts() {
  const readFile = ts.sys.readFile;
  ts.sys.readFile = (path, encoding) => {
    const text = readFile(path, encoding);
    return text !== undefined && path.endsWith('.vue') ? (typedScriptOf(text, path) ?? text) : text;
  };
}
