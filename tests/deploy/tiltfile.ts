/**
 * The Tiltfile, parsed. Tilt's language is Starlark, whose syntax is a subset of Python's, so
 * Python's own parser (python3 is on every machine here: the stack installs hadolint with pip)
 * reads it; a syntax error fails here as it would in `tilt up`. Each call comes back with its
 * function name and its literal arguments, and each top-level assignment of a literal with its
 * value, for dev-loop.test.ts to check against the repository.
 */
import { execFileSync } from 'node:child_process';

export interface TiltCall {
  func: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  line: number;
}

export interface ParsedTiltfile {
  calls: TiltCall[];
  assignments: Record<string, unknown>;
}

// A non-literal argument (a variable, a call) comes back as {"expr": "<source>"}.
const reader = `
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read(), sys.argv[1])
def value(node):
    if isinstance(node, ast.Dict):
        return {ast.literal_eval(k): value(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, (ast.List, ast.Tuple)):
        return [value(v) for v in node.elts]
    try:
        return ast.literal_eval(node)
    except Exception:
        return {"expr": ast.unparse(node)}
def name(func):
    return func.id if isinstance(func, ast.Name) else "." + func.attr
calls = [{"func": name(n.func), "args": [value(a) for a in n.args],
          "kwargs": {k.arg: value(k.value) for k in n.keywords}, "line": n.lineno}
         for n in ast.walk(tree) if isinstance(n, ast.Call)]
assignments = {t.id: value(s.value) for s in tree.body if isinstance(s, ast.Assign)
               for t in s.targets if isinstance(t, ast.Name)}
print(json.dumps({"calls": sorted(calls, key=lambda c: c["line"]), "assignments": assignments}))
`;

export function parseTiltfile(path: string): ParsedTiltfile {
  return JSON.parse(execFileSync('python3', ['-c', reader, path], { encoding: 'utf8' })) as ParsedTiltfile;
}
