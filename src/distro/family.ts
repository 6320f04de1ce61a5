import type { Family, Release } from "./release.js";

/** An rsync exclude with the reason it exists: shown to the admin and tested, never a bare path. */
export interface ExcludeEntry {
  path: string;
  reason: string;
}

/** Where a family keeps network configuration, and what OpenVZ leaves behind in it. */
export interface NetworkLayout {
  /** Directories whose files make up the network config (captured, then restored after the copy). */
  dirs: string[];
  /** Single files that are network config. */
  files: string[];
  /** True when a file in those places is venet config written by vzctl. */
  isVenet(path: string, content: string): boolean;
  /** True for a package's script living among the config (EL's ifup-*, network-functions): never config, left alone. */
  isPackageFile(path: string): boolean;
}

/** grub's generated config and, on EL8+, the BLS entries grub reads instead of menu entries. */
export interface BootLoaderLayout {
  grubConfig: string;
  regenerateGrub: string;
  blsEntriesDir?: string;
  /** Writes the BLS entry of an installed kernel again. */
  blsAdd?(kernelRelease: string): string;
}

/**
 * Everything that differs between RHEL-like and Debian-like systems, in one place: steps ask this
 * object and never test the family themselves.
 */
export interface FamilyKnowledge {
  family: Family;
  /** Frees space: journal vacuum and package cache clean. */
  cleanCommands(release: Release): string[];
  /** What cleanCommands delete, in words: the dry run's risk summary lists it among what a run deletes. */
  cleanDeletes: string;
  /** Full non-interactive update. */
  updateCommands(release: Release): string[];
  /** The command printing which package owns a path (exit 0 when owned). */
  ownerQuery(path: string): string;
  /** The owning package from ownerQuery's output, or null when unowned. */
  parseOwner(code: number, stdout: string): string | null;
  /** The package holding exactly this kernel release. */
  kernelPackage(kernelRelease: string): string;
  /**
   * Lists the installed packages a VM needs to boot that a container usually lacks (bootloader, shim,
   * initramfs builder, udev, kmod, firmware): the copy's --delete removes their files, so the ones the
   * target had are installed again with the kernel.
   */
  bootPackagesQuery: string;
  parseBootPackages(stdout: string): string[];
  /** Prints which of these packages are installed now. */
  installedQuery(names: string[]): string;
  parseInstalled(stdout: string): string[];
  /** Commands before the package manager runs on a copied database (stale Berkeley DB locks). */
  packageDbRepair: string[];
  install(release: Release, packages: string[]): string;
  /** Refreshes the package lists before an install (the copied lists may be older than the repository). */
  refreshCommands: string[];
  /** The initramfs the kernel's package builds, to check it exists after the install. */
  initramfsPath(kernelRelease: string): string;
  /** Lists the files inside that initramfs (lsinitramfs / lsinitrd): a module shows as a path ending in NAME.ko[.xz|.zst]. */
  initramfsListCommand(kernelRelease: string): string;
  /** Builds that initramfs again, making sure these drivers go in where the tool allows it (dracut --add-drivers). */
  initramfsRebuildCommand(kernelRelease: string, drivers: string[]): string;
  /** Where the boot loader must name the kernel, and how each place is regenerated. */
  bootLoader: BootLoaderLayout;
  /** Packages an SELinux relabel at boot needs (policy + setfiles): the copy must bring them. */
  relabelPackages: string[];
  /** Excludes only this family needs, on top of the common list. */
  excludes: ExcludeEntry[];
  network: NetworkLayout;
  /** The package manager's database directory (replaced by the source's during the copy). */
  packageDbDir: string;
}
