"""The lab's Active Directory forests: names, naming contexts and the files a DC of each needs.

Each forest is independent, as two forests of a real estate are: its own realm and
Kerberos KDC, domain DN, NetBIOS name, DC host name, lab CA and Exchange organization.
`LAB` is the default everywhere; `FABRIKAM` is the second forest of the multi-forest
Entra Connect lab (one Connect server, one AD connector per forest). Both are single-domain
forests whose root domain is named after the realm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PASSWORD = "Passw0rd!Lab1"  # a throwaway lab secret, not a real one


@dataclass(frozen=True)
class Forest:
    realm: str  # LAB.EXAMPLE.COM: the Kerberos realm; lower case, the forest's DNS name
    netbios: str  # the domain's NetBIOS name (workgroup)
    hostname: str  # the DC's host name
    # What Exchange setup wrote: ms-Exch-Schema-Version-Pt rangeUpper, the organization and
    # the org/MESO objectVersion (reference/domain.md, section 4.3)
    exchange: tuple[tuple[str, str], ...] = ()

    @property
    def dns_domain(self) -> str:
        return self.realm.lower()

    @property
    def domain_dn(self) -> str:
        return ",".join(f"DC={part}" for part in self.dns_domain.split("."))

    @property
    def config_nc(self) -> str:
        return f"CN=Configuration,{self.domain_dn}"

    @property
    def schema_nc(self) -> str:
        return f"CN=Schema,{self.config_nc}"

    @property
    def dns_name(self) -> str:
        """The DC's DNS name: its certificate's SAN and its ldap/ service principal."""
        return f"{self.hostname}.{self.dns_domain}"

    @property
    def admin(self) -> str:
        return f"Administrator@{self.dns_domain}"

    @property
    def exchange_values(self) -> dict[str, str]:
        return dict(self.exchange)

    def smb_conf(self, ip: str, d: object, strong_auth: str) -> str:
        return SMB_CONF.format(realm=self.realm, netbios=self.netbios, host=self.hostname.upper(),
                               ip=ip, d=d, strong_auth=strong_auth)

    def krb5_conf(self, ip: str) -> str:
        return KRB5_CONF.format(realm=self.realm, ip=ip, domain=self.dns_domain)

    def dc_spns(self) -> str:
        """LDIF adding the DC's ldap/ service principal names (see DC_SPNS)."""
        return DC_SPNS.format(host=self.hostname.upper(), dn=self.domain_dn, fqdn=self.dns_name,
                              domain=self.dns_domain, netbios=self.netbios)


def _exchange(range_upper: int, org: str, org_version: int, meso_version: int
              ) -> tuple[tuple[str, str], ...]:
    return (("RANGE_UPPER", str(range_upper)), ("ORG_NAME", org),
            ("ORG_VERSION", str(org_version)), ("MESO_VERSION", str(meso_version)))


# Exchange 2019 CU15 / Exchange SE: 17003, org 16763, MESO 13243
LAB = Forest("LAB.EXAMPLE.COM", "LAB", "labdc", _exchange(17003, "Lab Org", 16763, 13243))
# Exchange 2016 CU23: 15334, org 16223, MESO 13243 (another schema version than LAB's:
# each forest has its own schema, and convergence is judged within a forest)
FABRIKAM = Forest("FABRIKAM.EXAMPLE.COM", "FABRIKAM", "fabdc",
                  _exchange(15334, "Fabrikam", 16223, 13243))
FORESTS: Mapping[str, Forest] = {f.dns_domain: f for f in (LAB, FABRIKAM)}


def forest_named(name: str | None) -> Forest:
    """The lab forest whose DNS name is `name` (None: LAB)."""
    if name is None:
        return LAB
    try:
        return FORESTS[name.lower()]
    except KeyError:
        raise ValueError(f"no lab forest {name!r} (known: {', '.join(FORESTS)})") from None


SMB_CONF = """[global]
\tnetbios name = {host}
\trealm = {realm}
\tworkgroup = {netbios}
\tserver role = active directory domain controller
\tserver services = ldap, kdc
\tinterfaces = {ip}/8
\tbind interfaces only = yes
\tprivate dir = {d}/private
\tstate directory = {d}/state
\tcache directory = {d}/cache
\tlock directory = {d}
\tbinddns dir = {d}/bind-dns
\tpid directory = {d}/run
\tncalrpc dir = {d}/run/ncalrpc
\twinbindd socket directory = {d}/run/winbindd
\tlog file = {d}/log/log.%m
\tlogging = file
\tlog level = 1
\tldap server require strong auth = {strong_auth}
\tdsdb:schema update allowed = true
\tidmap_ldb:use rfc2307 = yes
\ttls enabled = yes
\ttls keyfile = {d}/labtls/key.pem
\ttls certfile = {d}/labtls/cert.pem
\ttls cafile = {d}/labtls/ca.pem
"""
KRB5_CONF = """[libdefaults]
\tdefault_realm = {realm}
\tdns_lookup_kdc = false
\tdns_lookup_realm = false
\trdns = false
\tdns_canonicalize_hostname = false
\tudp_preference_limit = 1
[realms]
\t{realm} = {{
\t\tkdc = {ip}
\t}}
[domain_realm]
\t.{domain} = {realm}
\t{domain} = {realm}
"""
# A Windows DC registers its ldap/ service principals itself; Samba's samba_spnupdate would
# (from the dnsupdate service, which the lab does not run): without them a Kerberos bind gets
# "Server not found in Kerberos database".
DC_SPNS = """dn: CN={host},OU=Domain Controllers,{dn}
changetype: modify
add: servicePrincipalName
servicePrincipalName: ldap/{fqdn}
servicePrincipalName: ldap/{fqdn}/{domain}
servicePrincipalName: ldap/{fqdn}/{netbios}
servicePrincipalName: ldap/{host}
-
"""
