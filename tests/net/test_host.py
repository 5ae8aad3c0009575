"""The report's environment, read from a /proc made for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from flexdiag.net.host import environment, safe_argv


def test_gateway_and_its_mac_from_proc(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "route").write_text(
        "Iface\tDestination\tGateway \tFlags\n"
        "eth0\t0071A8C0\t00000000\t0001\n"
        "eth0\t00000000\t0171A8C0\t0003\n")  # default via 192.168.113.1
    (tmp_path / "net" / "arp").write_text(
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        "192.168.113.1    0x1         0x2         00:11:22:33:44:55     *        eth0\n")
    oui = tmp_path / "oui.txt"
    oui.write_text("00-11-21   (hex)\t\tSomeone Else\n00-11-22   (hex)\t\tExample Routers B.V.\n")
    env = environment("1.0", ["run", "--json"], "192.168.113.20", proc=tmp_path, oui_file=oui)
    assert (env["interface"], env["gateway_ip"], env["gateway_mac"], env["local_ip"],
            env["gateway_vendor"]) == ("eth0", "192.168.113.1", "00:11:22:33:44:55",
                                       "192.168.113.20", "Example Routers B.V.")


def test_no_proc_leaves_the_fields_empty(tmp_path: Path) -> None:
    env = environment("1.0", [], None, proc=tmp_path)
    assert env["gateway_ip"] is None and env["interface"] is None and env["gateway_mac"] is None


def test_secrets_never_reach_the_report() -> None:
    assert safe_argv(["watch", "--basic-auth", "u:p", "--password=s3cret", "--site", "a"]) == [
        "watch", "--basic-auth", "[hidden]", "--password=[hidden]", "--site", "a"]


def _fake_os(root: Path, interface: str, gateway_hex: str, gateway: str, gateway_mac: str,
             if_type: int, own_mac: str, release: str = "6.1.0-18-amd64") -> tuple[Path, Path]:
    proc, sys = root / "proc", root / "sys"
    (proc / "net").mkdir(parents=True)
    (proc / "sys" / "kernel").mkdir(parents=True)
    (proc / "net" / "route").write_text(
        f"Iface\tDestination\tGateway \tFlags\n{interface}\t00000000\t{gateway_hex}\t0003\n")
    (proc / "net" / "arp").write_text(
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        f"{gateway}    0x1         0x2         {gateway_mac}     *        {interface}\n")
    (proc / "sys" / "kernel" / "osrelease").write_text(release + "\n")
    (sys / "class" / "net" / interface).mkdir(parents=True)
    (sys / "class" / "net" / interface / "type").write_text(f"{if_type}\n")
    (sys / "class" / "net" / interface / "address").write_text(own_mac + "\n")
    return proc, sys


def test_host_network_inside_a_docker_bridge(tmp_path: Path) -> None:
    from flexdiag.net.host import network

    marker = tmp_path / ".dockerenv"
    marker.write_text("")
    proc, sys = _fake_os(tmp_path, "eth0", "010011AC", "172.17.0.1", "02:42:9c:1a:2b:3c", 1,
                         "02:42:ac:11:00:02")
    host = network("172.17.0.2", proc=proc, sys=sys, markers=[marker])
    assert (host.interface, host.if_type, host.gateway, host.gateway_mac, host.own_mac) == (
        "eth0", 1, "172.17.0.1", "02:42:9c:1a:2b:3c", "02:42:ac:11:00:02")
    assert host.container == str(marker) and host.wsl is False


def test_host_network_on_wsl_and_on_a_tunnel(tmp_path: Path) -> None:
    from flexdiag.net.host import network

    proc, sys = _fake_os(tmp_path / "a", "eth0", "0100A8C0", "192.168.0.1", "aa:bb:cc:dd:ee:ff",
                         1, "00:15:5d:01:02:03", "5.15.153.1-microsoft-standard-WSL2")
    assert network(None, proc=proc, sys=sys, markers=[]).wsl is True
    proc, sys = _fake_os(tmp_path / "b", "wg0", "0100000A", "10.0.0.1", "00:00:00:00:00:00",
                         65534, "")
    host = network(None, proc=proc, sys=sys, markers=[])
    assert host.if_type == 65534 and host.gateway_mac is None and host.container is None


def test_host_network_without_proc_or_sys(tmp_path: Path) -> None:
    from flexdiag.net.host import network

    host = network(None, proc=tmp_path / "none", sys=tmp_path / "none", markers=[])
    assert host.interface is None and host.if_type is None and host.wsl is False


# --- without /proc: the OS's own tools (issue #28, part 2) ---------------------------------------

def test_route_tools_of_each_os_are_read() -> None:
    from flexdiag.net.host import parse_bsd_route, parse_ip_route, parse_windows_route

    assert parse_ip_route("default via 192.168.178.1 dev wlp2s0 proto dhcp metric 600\n") == (
        "wlp2s0", "192.168.178.1")
    assert parse_ip_route("192.168.178.0/24 dev wlp2s0 proto kernel\n") == (None, None)
    macos = ("   route to: default\ndestination: default\n       mask: default\n"
             "    gateway: 192.168.1.254\n  interface: en0\n      flags: <UP,GATEWAY,DONE>\n")
    assert parse_bsd_route(macos) == ("en0", "192.168.1.254")
    windows = ("IPv4 Route Table\n==========\nActive Routes:\nNetwork Destination        "
               "Netmask          Gateway       Interface  Metric\n          0.0.0.0          "
               "0.0.0.0      192.168.2.254    192.168.2.17     35\n")
    assert parse_windows_route(windows) == ("192.168.2.17", "192.168.2.254")
    assert parse_windows_route("") == (None, None) == parse_bsd_route("route: not in table")


def test_neighbour_tools_of_each_os_are_read() -> None:
    from flexdiag.net.host import parse_neighbour

    ip = "192.168.1.254"
    assert parse_neighbour(f"{ip} dev en0 lladdr 3c:a6:2f:0a:0b:0c REACHABLE\n", ip) == (
        "3c:a6:2f:0a:0b:0c")
    assert parse_neighbour(f"? ({ip}) at 3c:a6:2f:a:b:c on en0 ifscope [ethernet]\n", ip) == (
        "3c:a6:2f:0a:0b:0c")  # macOS drops leading zeros
    assert parse_neighbour(f"  {ip}          3c-a6-2f-0a-0b-0c     dynamic\n", ip) == (
        "3c:a6:2f:0a:0b:0c")
    assert parse_neighbour("? (192.168.1.25) at 3c:a6:2f:a:b:c on en0\n", ip) is None


def test_portable_mode_reads_the_route_with_the_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from flexdiag.net import capability, host

    if shutil.which("ip") is None:
        pytest.skip("no ip tool here")
    from_proc = host.network(None)
    monkeypatch.setenv("FLEXDIAG_PORTABLE", "1")
    assert not capability.procfs() and not capability.error_queue()
    monkeypatch.setattr(host, "_default_route", lambda proc: pytest.fail("read /proc"))
    found = host.network(None)
    assert (found.interface, found.gateway) == (from_proc.interface, from_proc.gateway)
    assert found.if_type is None  # /sys is not read either: tunnels are told by name


def test_the_gateways_maker_without_the_ieee_list(tmp_path: Path) -> None:
    """Issue #28, part 5: where ieee-data is not installed (a container image, macOS, Windows),
    the routers' makers flexdiag carries still name the box."""
    from flexdiag.net.host import vendor

    missing = tmp_path / "no-oui.txt"
    assert vendor("3c:a6:2f:12:34:56", missing) == (
        "AVM Audiovisuelles Marketing und Computersysteme GmbH")  # a FRITZ!Box
    assert vendor("00:1d:aa:12:34:56", missing) == "DrayTek Corp."
    assert vendor("02:42:ac:11:00:02", missing) is None  # locally administered: nobody's
    assert vendor(None, missing) is None


def test_the_carried_list_is_the_ieee_lists_subset() -> None:
    from flexdiag.net.host import OUI_FILE, vendor

    if not OUI_FILE.exists():
        pytest.skip("ieee-data is not installed here")
    carried = (Path(__file__).parent.parent.parent / "flexdiag" / "data" /
               "router-ouis.tsv").read_text().splitlines()[1:]
    for line in carried[::97]:  # a sample: each maker as the IEEE's list names it
        oui, maker = line.split("\t")
        mac = ":".join(oui[i:i + 2] for i in (0, 2, 4)) + ":00:00:00"
        assert vendor(mac) == maker, line


def test_locally_administered_and_malformed_macs_have_no_maker(tmp_path: Path) -> None:
    from flexdiag.net.host import vendor

    oui = tmp_path / "oui.txt"
    oui.write_text("02-42-AC   (hex)\t\tNobody\n")
    assert vendor("02:42:ac:11:00:02", oui) is None  # Docker's: locally administered
    assert vendor("zz:00:00:00:00:00", oui) is None and vendor("", oui) is None
