// Every example in apps/examples runs to completion and prints what its README promises, so that
// what users copy keeps working.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const examples = [
  ["basic", /\[ERR\] Payment A-17 failed .*RequestId: "req-7f3a"/],
  [
    "production",
    /^Shutdown report: ok .*: (\d+) of \1 events delivered, 0 dropped, 0 failed, 0 abandoned$/m,
  ],
  ["http-server", /^access: (\d+) events, \1 delivered, 0 dropped, 0 failed, 0 pending$/m],
  ["third-party-sink", /^no violations$[\s\S]*circuit half-open -> closed \(probe-succeeded\)/m],
  [
    "overload",
    /^ {2}error: (\d+) of \1 delivered$[\s\S]*^awaiting ready\(\): (\d+) events, \2 delivered, 0 dropped$/m,
  ],
  ["faults", /after "space back": .* reopens 1$[\s\S]*after "file deleted": .* reopens 2$/m],
];

/** Runs a built example and collects its output. */
function run(name) {
  const script = fileURLToPath(new URL(`../apps/examples/dist/${name}.js`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

for (const [name, key] of examples) {
  // The faults example writes to /dev/full, which only Linux has.
  const missing = name === "faults" && !existsSync("/dev/full");
  const title = missing
    ? `example ${name} (needs /dev/full, a Linux device)`
    : `example ${name} runs and prints its key line (needs \`pnpm build\`)`;
  it.skipIf(missing)(
    title,
    async () => {
      const result = await run(name);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(key);
    },
    60_000,
  );
}
