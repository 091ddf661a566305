// Installs the packed packages the way a user does, outside the workspace, with plain npm:
//   1. `pnpm pack` every public package into a temporary folder;
//   2. a fresh project installs only @sluice/core and @sluice/sink-file from those tarballs, runs a
//      script that logs to a file and reads it back, and must hold nothing else in node_modules;
//   3. a second project installs every tarball and compiles a file that imports every entry of
//      every package, with TypeScript and no Node type definitions, checking every declaration
//      file (`skipLibCheck: false`): public declarations must need nothing but our packages.
// Expects `pnpm build` to have run. Prints what it checked; exits 1 on the first failure.
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), "sluice-install-"));
const keep = process.argv.includes("--keep");

function run(command, args, cwd) {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", npm_config_update_notifier: "false" },
    });
  } catch (error) {
    throw new Error(
      `${command} ${args.join(" ")} failed in ${cwd}:\n${error.stdout ?? ""}${error.stderr ?? ""}`,
    );
  }
}

/** A fresh npm project with the given tarballs installed; returns its directory. */
function project(name, tarballs) {
  const directory = join(work, name);
  mkdirSync(directory);
  writeFileSync(
    join(directory, "package.json"),
    `${JSON.stringify({ name, private: true, type: "module" }, null, 2)}\n`,
  );
  // --offline: the tarballs are local and must need nothing from a registry.
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", ...tarballs], directory);
  return directory;
}

/** Every package name in a project's node_modules. */
function installed(directory) {
  const modules = join(directory, "node_modules");
  return readdirSync(modules)
    .filter((name) => !name.startsWith("."))
    .flatMap((name) =>
      name.startsWith("@")
        ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`)
        : [name],
    )
    .sort();
}

try {
  const packagesDirectory = join(root, "packages");
  const packages = readdirSync(packagesDirectory)
    .map((name) => join(packagesDirectory, name))
    .filter((directory) => existsSync(join(directory, "package.json")))
    .map((directory) => ({
      directory,
      manifest: JSON.parse(readFileSync(join(directory, "package.json"), "utf8")),
    }))
    .filter(({ manifest }) => manifest.private !== true);

  const tarballDirectory = join(work, "tarballs");
  const tarballs = new Map();
  for (const { directory, manifest } of packages) {
    const output = run("pnpm", ["pack", "--pack-destination", tarballDirectory], directory);
    const file = output
      .trim()
      .split("\n")
      .map((line) => line.trim())
      .findLast((line) => line.endsWith(".tgz"));
    if (file === undefined) throw new Error(`pnpm pack printed no tarball for ${manifest.name}`);
    tarballs.set(manifest.name, file.startsWith("/") ? file : join(tarballDirectory, file));
  }
  console.log(`packed ${[...tarballs.keys()].join(", ")}`);

  // 2. core and the file sink, nothing else.
  const wanted = ["@sluice/core", "@sluice/sink-file"];
  const app = project(
    "app",
    wanted.map((name) => tarballs.get(name)),
  );
  const extra = installed(app).filter((name) => !wanted.includes(name));
  if (extra.length > 0) throw new Error(`npm installed more than was asked: ${extra.join(", ")}`);
  writeFileSync(
    join(app, "main.js"),
    `import { readFileSync } from "node:fs";
import { createLogger } from "@sluice/core";
import { createFileSink } from "@sluice/sink-file";

const path = new URL("./app.log", import.meta.url);
const log = createLogger({ sinks: [createFileSink({ path: path.pathname })] });
log.info("Installed {Package} from a tarball", { Package: "@sluice/sink-file" });
await log.close();
const [line, ...rest] = readFileSync(path, "utf8").split("\\n").filter(Boolean);
const event = JSON.parse(line);
if (rest.length !== 0 || event.Package !== "@sluice/sink-file" || event["@mt"] !== "Installed {Package} from a tarball") {
  throw new Error("unexpected file content: " + readFileSync(path, "utf8"));
}
console.log(line);
`,
  );
  const line = run(process.execPath, ["main.js"], app).trim();
  console.log(
    `npm installed ${wanted.join(" and ")} alone; a script logged and read back: ${line}`,
  );

  // 3. every declaration file, without Node's types.
  const everything = project("types", [...tarballs.values()]);
  const imports = packages.flatMap(({ manifest }, index) =>
    Object.keys(manifest.exports ?? {})
      .filter((entry) => !entry.endsWith(".json"))
      .map((entry, position) => {
        const specifier = entry === "." ? manifest.name : `${manifest.name}${entry.slice(1)}`;
        return `import * as entry${index}x${position} from "${specifier}";\nvoid entry${index}x${position};`;
      }),
  );
  writeFileSync(join(everything, "index.ts"), `${imports.join("\n")}\nexport {};\n`);
  writeFileSync(
    join(everything, "tsconfig.json"),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: "ES2023",
          lib: ["ES2023"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          types: [],
          strict: true,
          exactOptionalPropertyTypes: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ["index.ts"],
      },
      null,
      2,
    )}\n`,
  );
  if (existsSync(join(everything, "node_modules", "@types"))) {
    throw new Error("the packages pulled in type definitions of their own");
  }
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  run(process.execPath, [tsc, "-p", join(everything, "tsconfig.json")], everything);
  console.log(
    `TypeScript without @types/node compiled ${imports.length} entries and every declaration file behind them`,
  );
} catch (error) {
  console.error(`install check failed: ${error.message}`);
  process.exitCode = 1;
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
