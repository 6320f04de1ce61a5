import { ScriptedHost } from "../../src/hosts/scripted-host.js";

/** Scripted source/target for the demo pipeline; `rm -f PATH` really removes from the fake tree. */
export function demoHosts(root = "/srv"): { source: ScriptedHost; target: ScriptedHost } {
  const removing = (host: ScriptedHost): ScriptedHost =>
    host.on(
      /^rm -f /,
      (command, h) => {
        const target = command.slice("rm -f ".length).replace(/^'(.*)'$/, "$1");
        h.deleteFile(target);
        return { code: 0 };
      },
      { mutates: true },
    );
  const source = removing(new ScriptedHost("source")).putFile(
    `${root}/etc/app.conf`,
    "listen=127.0.0.1:8080\nworkers=4\n",
  );
  const target = removing(new ScriptedHost("target"));
  return { source, target };
}
