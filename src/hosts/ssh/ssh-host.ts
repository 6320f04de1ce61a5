import { BadInputError } from "../../errors.js";
import type { Endpoint } from "../../plan/endpoint.js";
import type { Host } from "../host.js";

// Placeholder until the ssh2 host lands (issue 2, hosts part).
export const SshHost = {
  async connect(_endpoint: Endpoint, _role: string): Promise<Host> {
    throw new BadInputError("ssh transport is not built yet");
  },
};
