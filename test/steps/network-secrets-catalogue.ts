/**
 * Secrets as the tools that use them write them, each with the value that must never reach a journal,
 * log or report. Formats: ifupdown with wpasupplicant (README.modes: wpa-psk, wpa-password) and
 * wireless-tools (wireless-key), wpa_passphrase(8) output, mount.cifs(8) fstab options and credentials
 * file, wg-quick(8) and systemd.netdev(5) WireGuard, NetworkManager keyfiles (nm-settings-keyfile(5)),
 * netplan access points, OpenVPN inline blocks (openvpn(8) "INLINE FILE SUPPORT") and PEM keys.
 * Every key below was generated for this test and protects nothing.
 */
export interface PlantedSecret {
  what: string;
  path: string;
  content: string;
  /** The exact text that must appear in no file the run writes. */
  secret: string;
}

const HEX_PSK = "5b8e4f0d6c2a1e9f7b3d8c4a2e6f1b9d0c7a5e3f8b2d6c4a1e9f7b3d5c8a2e6f";
const WG_PRIVATE = "oK56DE9Ue9zK76rAc8pBl6opph+1v36lm7cXXsQKrQM=";
const PEM_BODY = "MC4CAQAwBQYDK2VwBCIEIEbqVt2Jd1oDZw5n5y4sY8Hcz7Pq0VjXK3sM2xLw9aFQ";
const OVPN_STATIC = "6acef03f62675b4b1bbd03e53b187727";

export const SECRETS: PlantedSecret[] = [
  {
    what: "ifupdown wpa-psk (the issue's repro)",
    path: "/etc/network/interfaces",
    content: `\n# Wireless, through wpasupplicant's ifupdown hooks\nallow-hotplug wlan0\niface wlan0 inet dhcp\n\twpa-ssid "office-5g"\n\twpa-psk ${HEX_PSK}\n`,
    secret: HEX_PSK,
  },
  {
    what: "ifupdown wpa-psk passphrase and 802.1X wpa-password",
    path: "/etc/network/interfaces.d/wlan1",
    content: `allow-hotplug wlan1\niface wlan1 inet dhcp\n    wpa-ssid "guest"\n    wpa-psk correct-horse-battery-staple\n    wpa-identity alice\n    wpa-password Tr0ub4dor&3-eap\n    wpa-key-mgmt WPA-EAP\n`,
    secret: "correct-horse-battery-staple",
  },
  {
    what: "ifupdown 802.1X wpa-password",
    path: "/etc/network/interfaces.d/wlan1",
    content: "",
    secret: "Tr0ub4dor&3-eap",
  },
  {
    what: "ifupdown wireless-key (WEP, wireless-tools)",
    path: "/etc/network/interfaces.d/wlan2",
    content: "iface wlan2 inet dhcp\n    wireless-essid lab\n    wireless-key s:w3pK3yL4b99\n",
    secret: "w3pK3yL4b99",
  },
  {
    what: "wpa_passphrase output in a wpa-conf file",
    path: "/etc/wpa_supplicant/wpa_supplicant-wlan3.conf",
    content: `network={\n\tssid="warehouse"\n\t#psk="plaintext-warehouse-pass"\n\tpsk=${HEX_PSK.split("").reverse().join("")}\n}\n`,
    secret: "plaintext-warehouse-pass",
  },
  {
    what: "CIFS password= in fstab",
    path: "/etc/fstab",
    content: "//198.18.30.5/backup /mnt/backup cifs username=backup,password=Cifs-S3cret-42,uid=0,iocharset=utf8 0 0\n",
    secret: "Cifs-S3cret-42",
  },
  {
    what: "CIFS credentials file",
    path: "/root/.smbcredentials",
    content: "username=backup\npassword=Cr3ds-File-Pass\ndomain=WORKGROUP\n",
    secret: "Cr3ds-File-Pass",
  },
  {
    what: "wg-quick PrivateKey",
    path: "/etc/wireguard/wg0.conf",
    content: `[Interface]\nAddress = 198.18.99.1/24\nListenPort = 51820\nPrivateKey = ${WG_PRIVATE}\n\n[Peer]\nPublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\nAllowedIPs = 198.18.99.2/32\n`,
    secret: WG_PRIVATE,
  },
  {
    what: "systemd-networkd WireGuard netdev",
    path: "/etc/systemd/network/wg1.netdev",
    content: `[NetDev]\nName=wg1\nKind=wireguard\n\n[WireGuard]\nPrivateKey=${WG_PRIVATE.replace("oK", "pL")}\nListenPort=51821\n`,
    secret: WG_PRIVATE.replace("oK", "pL"),
  },
  {
    what: "NetworkManager psk=",
    path: "/etc/NetworkManager/system-connections/office.nmconnection",
    content:
      "[connection]\nid=office\nuuid=0b3c8a4e-5d6f-4e1a-9b2c-3d4e5f6a7b8c\ntype=wifi\n\n[wifi]\nmode=infrastructure\nssid=office\n\n[wifi-security]\nkey-mgmt=wpa-psk\npsk=NM-keyfile-psk-77\n\n[ipv4]\nmethod=auto\n",
    secret: "NM-keyfile-psk-77",
  },
  {
    what: "NetworkManager 802.1X private-key-password=",
    path: "/etc/NetworkManager/system-connections/eap.nmconnection",
    content:
      "[connection]\nid=eap\ntype=ethernet\n\n[802-1x]\neap=tls;\nidentity=host1\nprivate-key=/etc/pki/host1.key\nprivate-key-password=Pk-Pass-123\n\n[ipv4]\nmethod=auto\n",
    secret: "Pk-Pass-123",
  },
  {
    what: "netplan access point password:",
    path: "/etc/netplan/60-wifi.yaml",
    content:
      'network:\n  version: 2\n  wifis:\n    wlan0:\n      dhcp4: true\n      access-points:\n        "office":\n          password: "netplan-wifi-pass"\n',
    secret: "netplan-wifi-pass",
  },
  {
    what: "OpenVPN inline <tls-auth> static key",
    path: "/etc/openvpn/client/office.conf",
    content: `client\ndev tun\nremote 198.18.40.1 1194\n<tls-auth>\n-----BEGIN OpenVPN Static key V1-----\n${OVPN_STATIC}\n-----END OpenVPN Static key V1-----\n</tls-auth>\n<key>\n-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY-----\n</key>\n`,
    secret: OVPN_STATIC,
  },
  { what: "OpenVPN inline <key> PEM", path: "/etc/openvpn/client/office.conf", content: "", secret: PEM_BODY },
  {
    what: "OpenVPN config inside a network dir (an NM import left beside the keyfiles)",
    path: "/etc/network/interfaces.d/tun0-ovpn",
    content: `# iface tun0 inet manual\n#   openvpn office\n<key>\n-----BEGIN PRIVATE KEY-----\n${PEM_BODY.replace("MC4", "MD5")}\n-----END PRIVATE KEY-----\n</key>\n`,
    secret: PEM_BODY.replace("MC4", "MD5"),
  },
  {
    what: "PEM private key in a networkd dir",
    path: "/etc/systemd/network/macsec0.key",
    content: `-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB9uR0dJz0sK2x7Yt6Qe3Lk8Vn4Wp5Zc1Hd2Fg3Jh4KloAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n`,
    secret: "MHcCAQEEIB9uR0dJz0sK2x7Yt6Qe3Lk8Vn4Wp5Zc1Hd2Fg3Jh4KloAoGCCqGSM49",
  },
];
