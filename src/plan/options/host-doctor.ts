export interface DoctorOptions {
  /** libvirt URI whose domains are checked. */
  uri: string;
  /** The bridge the VMs' NICs use; null = do not check. */
  bridge: string | null;
  enableKsm: boolean;
  /** A planned OpenVZ → KVM migration: the container's vzctl config and the VM's memory size. */
  openvz: { confPath: string; vmMemoryBytes: number } | null;
}

/** Above this much committed VM memory over host RAM, the doctor warns. */
export const OVERCOMMIT_WARN_RATIO = 0.1;
