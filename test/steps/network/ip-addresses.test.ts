import { describe, expect, it } from "vitest";
import {
  parseAddrJson,
  parseAddrLines,
  parseRouteJson,
  parseRouteLines,
} from "../../../src/steps/network/ip-addresses.js";

// `ip -j addr show scope global` of a VM with a static IPv4 address, a DHCP lease and SLAAC with a privacy
// address (iproute2 6.1): every link is listed, addresses the scope filter drops show as {}.
const IP_J_ADDR = `[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[]},{"ifindex":2,"ifname":"ens3","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"fq_codel","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"52:54:00:12:34:56","broadcast":"ff:ff:ff:ff:ff:ff","altnames":["enp0s3"],"addr_info":[{"family":"inet","local":"198.18.20.11","prefixlen":24,"broadcast":"198.18.20.255","scope":"global","label":"ens3","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"2001:db8:20::5054:ff:fe12:3456","prefixlen":64,"scope":"global","dynamic":true,"mngtmpaddr":true,"noprefixroute":true,"valid_life_time":86361,"preferred_life_time":14361},{"family":"inet6","local":"2001:db8:20::9d1c:2a4b:77e1:b0c2","prefixlen":64,"scope":"global","temporary":true,"dynamic":true,"valid_life_time":86361,"preferred_life_time":14361},{}]},{"ifindex":3,"ifname":"ens4","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"fq_codel","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"52:54:00:12:34:57","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"198.18.21.40","prefixlen":24,"broadcast":"198.18.21.255","scope":"global","dynamic":true,"label":"ens4","valid_life_time":86123,"preferred_life_time":86123},{}]}]
`;

describe("ip addresses", () => {
  it("reads global addresses from ip -j, marks leases dynamic and leaves out privacy addresses", () => {
    expect(parseAddrJson(IP_J_ADDR)).toEqual([
      { ifname: "ens3", family: "inet", address: "198.18.20.11/24", dynamic: false },
      { ifname: "ens3", family: "inet6", address: "2001:db8:20::5054:ff:fe12:3456/64", dynamic: true },
      { ifname: "ens4", family: "inet", address: "198.18.21.40/24", dynamic: true },
    ]);
  });

  it("reads the one-line form of older iproute2 the same way", () => {
    const lines =
      "2: ens3    inet 198.18.20.11/24 brd 198.18.20.255 scope global ens3\\       valid_lft forever preferred_lft forever\n" +
      "3: ens4    inet 198.18.21.40/24 brd 198.18.21.255 scope global dynamic ens4\\       valid_lft 86123sec preferred_lft 86123sec\n" +
      "2: ens3    inet6 2001:db8:20::9d1c:2a4b:77e1:b0c2/64 scope global temporary dynamic \\       valid_lft 86361sec preferred_lft 14361sec\n";
    expect(parseAddrLines(lines)).toEqual([
      { ifname: "ens3", family: "inet", address: "198.18.20.11/24", dynamic: false },
      { ifname: "ens4", family: "inet", address: "198.18.21.40/24", dynamic: true },
    ]);
  });

  it("reads default routes as JSON and as lines", () => {
    expect(
      parseRouteJson(
        '[{"dst":"default","gateway":"198.18.20.1","dev":"ens3","protocol":"static","metric":100,"flags":[]}]\n',
      ),
    ).toEqual([{ gateway: "198.18.20.1", dev: "ens3" }]);
    expect(parseRouteLines("default via 198.18.20.1 dev ens3 proto dhcp src 198.18.20.11 metric 100 \n")).toEqual([
      { gateway: "198.18.20.1", dev: "ens3" },
    ]);
  });
});
