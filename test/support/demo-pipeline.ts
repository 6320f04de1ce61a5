import { z } from "zod";
import { defineFact } from "../../src/engine/facts.js";
import type { Host } from "../../src/hosts/host.js";
import { execOk, readOptional } from "../../src/hosts/host.js";
import { cmd } from "../../src/hosts/quote.js";
import { defineStep, verifyResult, type Pipeline, type Step } from "../../src/engine/step.js";

/**
 * A small migration-shaped pipeline for engine tests: snapshot a config on the source, stop the source's
 * "service" (a marker file; compensation restarts it), copy data to the target, start the service again.
 * It works on any Host under a root directory, so the same steps run on a ScriptedHost or a LocalHost.
 */
export interface DemoOptions {
  root: string;
  /** Step ids whose run throws once (the set is consumed), to inject failures. */
  failOnce?: Set<string>;
  /** Called inside a step's run, e.g. to SIGKILL the process mid-step. */
  during?: (stepId: string) => void;
}

/** The source's config as the first step read it. */
const APP_CONF = defineFact("appConf", z.string());

export const DEMO_STEP_IDS = ["snapshot-config", "stop-service", "copy-data", "start-service"] as const;

export function buildDemoPipeline(options: DemoOptions): Pipeline<unknown> {
  const { root } = options;
  const path = (p: string): string => `${root}${p}`;
  const stopped = path("/run/app.stopped");
  const maybeFail = (id: string): void => {
    options.during?.(id);
    if (options.failOnce?.delete(id)) throw new Error(`injected failure in ${id}`);
  };
  const source = (ctx: { host(role: string): Host }): Host => ctx.host("source");
  const target = (ctx: { host(role: string): Host }): Host => ctx.host("target");

  const steps: Step<unknown>[] = [
    defineStep<unknown, null>({
      id: "snapshot-config",
      title: "Snapshot the source's config",
      destructive: false,
      async probe(ctx) {
        const conf = await readOptional(source(ctx), path("/etc/app.conf"));
        return {
          satisfied: ctx.facts.get(APP_CONF) === conf && conf !== null,
          plan: null,
          findings:
            conf === null
              ? [
                  {
                    title: "no config",
                    summary: `${path("/etc/app.conf")} is missing`,
                    severity: "error",
                    blocks: true,
                  },
                ]
              : [],
        };
      },
      commands: () => [],
      async run(ctx) {
        maybeFail("snapshot-config");
        await ctx.facts.set(APP_CONF, await source(ctx).readFile(path("/etc/app.conf")));
      },
      async verify(ctx) {
        return verifyResult([{ name: "config captured", ok: typeof ctx.facts.get(APP_CONF) === "string" }]);
      },
    }),
    defineStep<unknown, null>({
      id: "stop-service",
      title: "Stop the service on the source",
      destructive: true,
      async probe(ctx) {
        const isStopped = (await source(ctx).stat(stopped)) !== null;
        return { satisfied: isStopped, plan: null, findings: [] };
      },
      commands: () => [{ host: "source", command: `stop app (write ${stopped})` }],
      async run(ctx) {
        await ctx.compensations.register({
          id: "start-app",
          title: "start app on the source",
          host: "source",
          command: cmd("rm", "-f", stopped),
          undoesStep: true,
        });
        await source(ctx).writeFile(stopped, "stopped\n");
        maybeFail("stop-service");
      },
      async verify(ctx) {
        return verifyResult([
          {
            name: "service stopped",
            ok: (await source(ctx).stat(stopped)) !== null || (await target(ctx).stat(path("/data/app.conf"))) !== null,
          },
        ]);
      },
    }),
    defineStep<unknown, null>({
      id: "copy-data",
      title: "Copy data to the target",
      destructive: true,
      async probe(ctx) {
        const have = await readOptional(target(ctx), path("/data/app.conf"));
        const want = await readOptional(source(ctx), path("/etc/app.conf"));
        return { satisfied: have !== null && have === want, plan: null, findings: [] };
      },
      commands: () => [{ host: "target", command: `write ${path("/data/app.conf")}` }],
      async run(ctx) {
        const conf = ctx.facts.get(APP_CONF) ?? "";
        await target(ctx).writeFile(path("/data/app.conf.partial"), conf.slice(0, 3));
        maybeFail("copy-data");
        await target(ctx).writeFile(path("/data/app.conf"), conf);
        await execOk(target(ctx), cmd("rm", "-f", path("/data/app.conf.partial")));
      },
      async verify(ctx) {
        const have = await readOptional(target(ctx), path("/data/app.conf"));
        return verifyResult([
          { name: "data copied", ok: have === ctx.facts.get(APP_CONF) },
          { name: "no partial file", ok: (await target(ctx).stat(path("/data/app.conf.partial"))) === null },
        ]);
      },
    }),
    defineStep<unknown, null>({
      id: "start-service",
      title: "Start the service on the source again",
      destructive: false,
      async probe(ctx) {
        return { satisfied: (await source(ctx).stat(stopped)) === null, plan: null, findings: [] };
      },
      commands: () => [{ host: "source", command: cmd("rm", "-f", stopped) }],
      async run(ctx) {
        maybeFail("start-service");
        await execOk(source(ctx), cmd("rm", "-f", stopped));
        await ctx.compensations.clear("start-app");
      },
      async verify(ctx) {
        return verifyResult([{ name: "service running", ok: (await source(ctx).stat(stopped)) === null }]);
      },
    }),
  ];
  return { kind: "demo", title: "Demo migration", steps };
}
