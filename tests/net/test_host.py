"""The report's environment, read from a /proc made for the test."""

from __future__ import annotations

from pathlib import Path

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
