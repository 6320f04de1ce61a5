import type { VerifyCheck } from "../../engine/step.js";
import { showAddress, showRoute, type DefaultRoute, type GlobalAddress } from "../network/ip-addresses.js";
import { notExpectedOnVm } from "../services/not-expected-on-vm.js";
import type { UnitState } from "../services/units.js";
import type { SourceAtFreeze, VmBeforeCopy } from "./facts.js";

/**
 * The checks after the VM's reboot, as plain functions of what was captured before (the VM before the
 * copy, the source at the freeze) and what the VM shows now. A check that has nothing to compare with
 * passes and says so ("not checked: ..."), so a journal written before the capture existed still resumes.
 */

/** A check that says what was expected and what was seen; a failure adds where to look. */
export function seenCheck(name: string, ok: boolean, expected: string, seen: string, lookAt?: string): VerifyCheck {
  return { name, ok, detail: `expected ${expected}; seen ${seen}${!ok && lookAt ? `; look at ${lookAt}` : ""}` };
}

export const notChecked = (name: string, why: string): VerifyCheck => ({
  name,
  ok: true,
  detail: `not checked: ${why}`,
});

const NOT_CAPTURED = "not captured before the copy (the journal predates this check)";
const NOT_CAPTURED_AT_FREEZE = "not captured at the freeze (the journal predates this check)";

const list = (items: string[], none = "none"): string => (items.length > 0 ? items.join(", ") : none);

/** The VM's addresses, on the interface names they had before the copy. */
export function addressChecks(before: VmBeforeCopy | undefined, now: GlobalAddress[]): VerifyCheck[] {
  const everything = list(now.map(showAddress), "no global address");
  if (!before || before.addresses.length === 0)
    return [
      seenCheck(
        "global address",
        now.length > 0,
        `a global address (${before ? "the VM had none before the copy" : NOT_CAPTURED})`,
        everything,
        "the network config the fix-up restored and `journalctl -b` on the VM's console",
      ),
    ];
  const checks: VerifyCheck[] = [];
  for (const ifname of [...new Set(before.addresses.map((a) => a.ifname))]) {
    const wanted = before.addresses.filter((a) => a.ifname === ifname);
    const onIf = now.filter((a) => a.ifname === ifname);
    const name = `addresses on ${ifname}`;
    const expected = list(wanted.map(showAddress));
    if (onIf.length === 0) {
      checks.push(
        seenCheck(
          name,
          false,
          expected,
          `no global address on ${ifname} (all: ${everything})`,
          `\`ip -br link\` on the VM's console: a different interface name means the copy brought the container's udev or net.ifnames settings; otherwise the network config the fix-up restored (journal fact networkFixup)`,
        ),
      );
      continue;
    }
    const missing = wanted.filter((w) => !onIf.some((a) => a.address === w.address));
    // A lease may change across a boot: a dynamic address counts when its interface got one of that family.
    const lost = missing.filter((w) => !w.dynamic || !onIf.some((a) => a.family === w.family));
    const moved = missing.filter((w) => !lost.includes(w));
    checks.push(
      seenCheck(
        name,
        lost.length === 0,
        expected,
        `${list(onIf.map(showAddress))}${moved.length ? ` (the lease changed from ${list(moved.map((m) => m.address))})` : ""}${lost.length ? `; missing ${list(lost.map((m) => m.address))}` : ""}`,
        `the network config the fix-up restored (journal fact networkFixup) and \`journalctl -b -u networking -u systemd-networkd -u NetworkManager\`${lost.some((l) => l.dynamic) ? "; a dynamic address needs its DHCP client (isc-dhcp-client / dhcpcd) on the VM" : ""}`,
      ),
    );
  }
  return checks;
}

/** The default route the VM had before the copy (gateway and device), or any when none was captured. */
export function routeCheck(before: VmBeforeCopy | undefined, now: DefaultRoute[] | null): VerifyCheck {
  const seen = now === null ? "ip could not list routes" : list(now.map(showRoute), "no default route");
  const lookAt = "the gateway line of the network config the fix-up restored, and `ip route` on the VM's console";
  const wanted = before?.defaultRoutes;
  if (!wanted || wanted.length === 0)
    return seenCheck(
      "default route",
      !!now && now.length > 0,
      `a default route (${!before ? NOT_CAPTURED : "the VM had none before the copy"})`,
      seen,
      lookAt,
    );
  const missing = wanted.filter((w) => !now?.some((r) => r.gateway === w.gateway && r.dev === w.dev));
  return seenCheck("default route", missing.length === 0, list(wanted.map(showRoute)), seen, lookAt);
}

/** A name the VM resolved before the copy still resolves (any address: a CDN's answers change). */
export function resolveCheck(before: VmBeforeCopy | undefined, now: string[] | undefined): VerifyCheck {
  const name = "name resolution";
  if (!before) return notChecked(name, NOT_CAPTURED);
  const resolved = before.resolved;
  if (!resolved.name)
    return notChecked(
      name,
      `nothing resolved before the copy (${resolved.tried.length ? `tried ${resolved.tried.join(", ")}` : "the package sources name no host, only addresses"})`,
    );
  return seenCheck(
    name,
    (now ?? []).length > 0,
    `${resolved.name} resolves (before the copy: ${list(resolved.addresses)})`,
    now && now.length > 0 ? list(now) : "no answer",
    "/etc/resolv.conf (the fix-up keeps the VM's own) and /etc/nsswitch.conf on the VM, and whether its resolver (systemd-resolved?) runs",
  );
}

/** No unit failed on the VM that had not failed on the VM before the copy or on the source before the freeze. */
export function failedUnitsCheck(
  vm: VmBeforeCopy | undefined,
  source: SourceAtFreeze | undefined,
  now: { units: string[] } | { unreadable: string },
): VerifyCheck {
  const name = "no newly failed unit";
  if ("unreadable" in now)
    return seenCheck(name, false, "the list of failed units", now.unreadable, "`systemctl --failed` on the VM");
  const already = new Set<string>();
  const gaps: string[] = [];
  if (!vm) gaps.push(`the VM's failed units ${NOT_CAPTURED}`);
  else if ("unreadable" in vm.failedUnits) gaps.push(`the VM's failed units were not readable before the copy`);
  else vm.failedUnits.units.forEach((u) => already.add(u));
  if (!source) gaps.push(`the source's failed units ${NOT_CAPTURED_AT_FREEZE}`);
  else if ("unreadable" in source.failedUnits) gaps.push("the source's failed units were not readable at the freeze");
  else source.failedUnits.units.forEach((u) => already.add(u));
  const fresh = now.units.filter((u) => !already.has(u));
  if (gaps.length > 0) return notChecked(name, `${gaps.join("; ")}; failed now: ${list(now.units)}`);
  return seenCheck(
    name,
    fresh.length === 0,
    `no failed unit beyond those failed before (${list([...already].sort())})`,
    `failed now: ${list(now.units)}${fresh.length ? `; new: ${fresh.join(", ")}` : ""}`,
    fresh.map((u) => `\`systemctl status ${u}\` and \`journalctl -b -u ${u}\``).join(", "),
  );
}

/** The source's active services the VM must run too, and those left out (each with why). */
export function expectedServices(source: SourceAtFreeze): {
  expected: string[];
  leftOut: Array<{ unit: string; why: string }>;
} {
  const active = "units" in source.activeServices ? source.activeServices.units : [];
  const leftOut = active.flatMap((unit) => {
    const why = notExpectedOnVm(unit);
    return why ? [{ unit, why }] : [];
  });
  return { expected: active.filter((u) => !leftOut.some((l) => l.unit === u)), leftOut };
}

/** Every service active on the source before the freeze is active on the VM (NOT_EXPECTED_ON_VM aside). */
export function servicesChecks(source: SourceAtFreeze | undefined, states: UnitState[]): VerifyCheck[] {
  const name = "services of the source active";
  if (!source) return [notChecked(name, NOT_CAPTURED_AT_FREEZE)];
  if ("unreadable" in source.activeServices)
    return [
      notChecked(name, `the source's services were not readable at the freeze (${source.activeServices.unreadable})`),
    ];
  const { expected, leftOut } = expectedServices(source);
  const inactive = states.filter((s) => !s.active);
  const checks = [
    seenCheck(
      name,
      inactive.length === 0,
      `active: ${list(expected)}`,
      inactive.length === 0
        ? `all ${states.length} active`
        : `not active: ${inactive.map((s) => `${s.asked} (${s.loaded ? s.activeState : "no such unit"})`).join(", ")}`,
      inactive.map((s) => `\`systemctl status ${s.asked}\``).join(", "),
    ),
  ];
  if (leftOut.length > 0)
    checks.push({
      name: "source services not expected on the VM",
      ok: true,
      detail: leftOut.map((l) => `${l.unit}: ${l.why}`).join("; "),
    });
  return checks;
}

export type VmRowCounts = { counts: Map<string, number> } | { error: string };

/** Per database: each table holds at least the rows the source's had when counted just before the freeze. */
export function rowCountChecks(source: SourceAtFreeze | undefined, seen: Map<string, VmRowCounts>): VerifyCheck[] {
  if (!source) return [notChecked("table row counts", NOT_CAPTURED_AT_FREEZE)];
  const checks: VerifyCheck[] = source.notCounted.map((n) => notChecked(`rows of ${n.unit}`, n.why));
  for (const { unit, tables } of source.rowCounts) {
    const vm = seen.get(unit);
    if (!vm || "error" in vm) {
      checks.push(
        seenCheck(
          `rows of ${unit}`,
          false,
          `the row counts of ${tables.length} tables`,
          vm ? `the client failed: ${vm.error}` : "nothing read",
          `\`systemctl status ${unit}\` and the client's login on the VM (root by unix socket or /root/.my.cnf, copied from the source)`,
        ),
      );
      continue;
    }
    for (const database of [...new Set(tables.map((t) => t.database))]) {
      const inDb = tables.filter((t) => t.database === database);
      const short = inDb.flatMap((t) => {
        const rows = vm.counts.get(`${t.database}.${t.table}`);
        if (rows === undefined) return [`${t.table}: missing on the VM (${t.rows} rows at the freeze)`];
        return rows < t.rows ? [`${t.table}: ${rows} rows on the VM, ${t.rows} at the freeze`] : [];
      });
      const counts = inDb.map(
        (t) => `${t.table} ${t.rows} -> ${vm.counts.get(`${t.database}.${t.table}`) ?? "missing"}`,
      );
      checks.push(
        seenCheck(
          `rows in database ${database}`,
          short.length === 0,
          `at least the rows counted at the freeze in each of its ${inDb.length} table${inDb.length === 1 ? "" : "s"}`,
          short.length === 0 ? shorten(counts) : short.join("; "),
          "the final pass (did the database run on the source during it?) and the database's own log on the VM",
        ),
      );
    }
  }
  return checks;
}

/** A report line per database stays readable with hundreds of tables. */
function shorten(items: string[], max = 10): string {
  return items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}
