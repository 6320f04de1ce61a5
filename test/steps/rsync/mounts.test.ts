import { describe, expect, it } from "vitest";
import { COMMON_EXCLUDES } from "../../../src/steps/rsync/excludes.js";
import {
  describeMount,
  mountExcludes,
  mountsToExclude,
  parseMountinfo,
  toRecreate,
} from "../../../src/steps/rsync/mounts.js";

/** /proc/self/mountinfo of an OpenVZ 7 container (ploop root) with a bind mount, NFS and CIFS, as the kernel prints it. */
const CONTAINER_MOUNTINFO = [
  "1128 1056 182:371665 / / rw,relatime shared:546 master:98 - ext4 /dev/ploop23456p1 rw,data=ordered,balloon_ino=12,pquota",
  "1129 1128 0:145 / /proc rw,nosuid,nodev,noexec,relatime shared:547 - proc proc rw",
  "1130 1128 0:146 / /sys rw,nosuid,nodev,noexec,relatime shared:548 - sysfs sysfs rw",
  "1131 1128 0:147 / /dev rw,nosuid shared:549 - devtmpfs devtmpfs rw,size=1048576k,nr_inodes=262144,mode=755",
  "1132 1131 0:148 / /dev/pts rw,nosuid,noexec,relatime shared:550 - devpts devpts rw,gid=5,mode=620,ptmxmode=000",
  "1133 1128 0:149 / /run rw,nosuid,nodev shared:551 - tmpfs tmpfs rw,mode=755",
  "1134 1128 0:150 / /dev/shm rw,nosuid,nodev shared:552 - tmpfs tmpfs rw",
  "1140 1128 182:371665 /srv/shared /var/www/shared rw,relatime shared:546 - ext4 /dev/ploop23456p1 rw,data=ordered",
  "1141 1128 0:160 / /srv/backup rw,relatime shared:560 - nfs4 198.18.0.5:/export/backup rw,vers=4.1,rsize=1048576,wsize=1048576,hard,proto=tcp,timeo=600,retrans=2,sec=sys,clientaddr=198.18.10.31",
  "1142 1128 0:161 / /home/share\\040docs rw,relatime shared:561 - cifs //198.18.0.6/docs rw,vers=3.0,cache=strict,username=web",
  "1143 1128 0:162 / /mnt/usb rw,relatime shared:562 - ext4 /dev/sdb1 rw",
  "",
].join("\n");

describe("mounts inside the source (/proc/self/mountinfo)", () => {
  it("reads mount point, bind root, type and source, octal escapes decoded", () => {
    const mounts = parseMountinfo(CONTAINER_MOUNTINFO);
    expect(mounts).toHaveLength(11);
    expect(mounts[7]).toEqual({
      mountPoint: "/var/www/shared",
      root: "/srv/shared",
      fstype: "ext4",
      source: "/dev/ploop23456p1",
    });
    expect(mounts[9]).toEqual({
      mountPoint: "/home/share docs",
      root: "/",
      fstype: "cifs",
      source: "//198.18.0.6/docs",
    });
  });

  it("excludes every mount but / that no exclude covers, and lists the real filesystems to recreate", () => {
    const extra = mountsToExclude(parseMountinfo(CONTAINER_MOUNTINFO), COMMON_EXCLUDES);
    expect(extra.map((m) => m.mountPoint)).toEqual(["/var/www/shared", "/srv/backup", "/home/share docs"]);
    expect(toRecreate(extra).map(describeMount)).toEqual([
      "/var/www/shared (ext4 /dev/ploop23456p1, bind of /srv/shared)",
      "/srv/backup (nfs4 198.18.0.5:/export/backup)",
      "/home/share docs (cifs //198.18.0.6/docs)",
    ]);
    expect(mountExcludes(extra).map((e) => e.path)).toEqual(["/var/www/shared", "/srv/backup", "/home/share docs"]);
    // a tmpfs outside the common excludes is left out of the copy but not listed for the admin
    const tmpfs = mountsToExclude(
      parseMountinfo("1 0 0:1 / / rw - ext4 /dev/vda1 rw\n2 1 0:2 / /var/cache/nginx rw - tmpfs tmpfs rw\n"),
      COMMON_EXCLUDES,
    );
    expect(tmpfs.map((m) => m.mountPoint)).toEqual(["/var/cache/nginx"]);
    expect(toRecreate(tmpfs)).toEqual([]);
  });
});
