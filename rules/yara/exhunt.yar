/*
   exhunt built-in rule pack -- Exchange post-exploitation artefacts
   (ProxyLogon / ProxyShell / ProxyNotShell era webshells, dumps, staging).

   Original rules written for exhunt from the published content traits summarised
   in the exhunt field guide, sections 6 and 7. No text was taken from public
   YARA rule repositories.

   Syntax: plain YARA 4 (no modules). Must compile with the `yara` CLI (4.2.x) and
   with the boreal engine. Checked by tests/check_with_yara.sh.

   Every rule carries these meta fields:
     description  what the rule matches
     severity     critical | high | medium | low
                    critical = content of a known webshell / credential dump: compromise
                    high     = strong post-exploitation trait, confirm by hand
                    medium   = staging evidence worth a look
                    low      = context only (e.g. any archive); a human must look
     family       webshell family or artefact class
     reference    field-guide source key(s), comma separated (VOL, SB, MSB, OT, ZER, ...)
     why          one sentence for the responder

   Antivirus hygiene: the rule file must not itself look like a webshell to a
   scanner on a responder's laptop, nor match its own rules when exhunt scans a
   tree that holds it. Code-like markers are therefore written as
   whitespace-tolerant regular expressions, and plain words that are markers on
   their own are written with a one-character class (e.g. /fq[r]spt/), so the
   rule text never spells the marker. Descriptions paraphrase markers instead of
   quoting them, and no comment quotes a shell. tests/check_with_yara.sh checks
   that this file matches none of its rules. Test samples live base64-encoded
   under tests/samples/.

   Overlaps are deliberate and few: a China Chopper line inside an OAB dump fires
   both the Chopper and the OAB rule. Where one artefact has a generic and a
   specific rule (minidumps, compiled App_Web DLLs, binary-headed pages) the
   generic rule steps aside so each file is reported once at its best severity.
*/

/* ------------------------------------------------------------------------ */
/* China Chopper and other tiny eval shells                                 */
/* ------------------------------------------------------------------------ */

rule EXH_ChinaChopper_JScript_Eval : webshell
{
    meta:
        description = "China Chopper JScript eval of a request parameter (incl. spacing and Request.Item variants)"
        severity = "critical"
        family = "China Chopper"
        reference = "SB, VOL, OT"
        why = "A page that evaluates whatever arrives in a request parameter is a remote code execution backdoor on the server."
    strings:
        $eval_req = /eval\s*\(\s*Request\s*(\.\s*Item\s*)?\[/ nocase ascii wide
        $unsafe   = /["']unsafe["']/ nocase ascii wide
        $m1 = /runat\s*=/ nocase ascii wide
        $m2 = "<%" ascii wide
        $m3 = /Page\s+Language/ nocase ascii wide
    condition:
        $eval_req and ($unsafe or filesize < 10KB) and any of ($m*)
}

rule EXH_ChinaChopper_CSharp_Uploader : webshell
{
    meta:
        description = "China Chopper C# uploader: StreamWriter opened on a form field path, writing another form field"
        severity = "critical"
        family = "China Chopper"
        reference = "SB, VOL"
        why = "The page writes attacker-supplied content to an attacker-chosen path, the usual way a second-stage shell is dropped."
    strings:
        $sw = /StreamWriter\s*\(\s*Request\s*\.\s*Form\s*\[/ nocase ascii wide
        $wr = /\.Write\s*\(\s*Request\s*\.\s*Form\s*\[/ nocase ascii wide
    condition:
        $sw and $wr
}

rule EXH_Tiny_JScript_Form_Eval : webshell
{
    meta:
        description = "Tiny JScript page (< 1 KB) that evaluates a posted form field (JScript page directive, form read, eval call)"
        severity = "critical"
        family = "Tiny JScript shell"
        reference = "SB, VOL"
        why = "A one-line JScript page that evaluates a posted form field is a complete remote code execution backdoor."
    strings:
        $lang = /Page\s+Language\s*=\s*["']?JScript/ nocase ascii wide
        $form = /Request\s*\.\s*Form\s*\(\s*["']/ nocase ascii wide
        $eval = /eval\s*\(/ nocase ascii wide
    condition:
        filesize < 1KB and $lang and $form and $eval
}

rule EXH_JScript_Base64_Eval : webshell
{
    meta:
        description = "Server page that evaluates text decoded from base64 (eval over System.Text.Encoding plus base64 decoding)"
        severity = "critical"
        family = "Tiny JScript shell (base64)"
        reference = "SB"
        why = "Decoding base64 from a request and evaluating it hides the executed commands from web logs and is never done by legitimate pages."
    strings:
        $b64 = /\.FromBase64String\s*\(/ nocase ascii wide
        $ev  = /eval\s*\(\s*System\s*\.\s*Text\s*\.\s*Encoding\s*\./ nocase ascii wide
        $m1 = /runat\s*=/ nocase ascii wide
        $m2 = "<%" ascii wide
        $m3 = /Page\s+Language/ nocase ascii wide
    condition:
        $b64 and $ev and any of ($m*)
}

/* ------------------------------------------------------------------------ */
/* ProxyLogon OAB virtual-directory dump (CVE-2021-26858 / 27065)            */
/* ------------------------------------------------------------------------ */

rule EXH_OAB_VDir_Dump_Script : webshell proxylogon
{
    meta:
        description = "Text dump of the OAB virtual directory (< 50 KB) whose external or internal URL property carries a server-side script"
        severity = "critical"
        family = "ProxyLogon OAB dump shell"
        reference = "SB, VOL, ZER"
        why = "ProxyLogon wrote the OAB virtual-directory settings to an .aspx file with a script planted in its URL, turning the dump into a working webshell."
    strings:
        $s1 = /script\s+language/ nocase ascii wide
        $s2 = /page\s+language/ nocase ascii wide
        $s3 = /runat\s*=\s*["']?server/ nocase ascii wide
        $s4 = /\/scr[i]pt/ nocase ascii wide
        $u1 = /Exter[n]alUrl/ ascii wide
        $u2 = /Inter[n]alUrl/ ascii wide
        $p1 = /InternalAuthen[t]icationMethods/ ascii wide
        $p2 = /ExtendedProtec[t]ionTokenChecking/ ascii wide
    condition:
        filesize < 50KB and any of ($s*) and any of ($u*) and $p1 and $p2
}

rule EXH_OAB_Obfuscated_JScript : webshell proxylogon
{
    meta:
        description = "Obfuscator-style ProxyLogon JScript: eval over a request indexed by an _0x-prefixed name, or an _0x variable array next to a one-letter URL host before a script tag or next to the published string pair"
        severity = "critical"
        family = "ProxyLogon OAB dump shell (obfuscated)"
        reference = "SB"
        why = "This obfuscator output was written into OAB URL properties during ProxyLogon exploitation to evade simple eval signatures."
    strings:
        $eval_obf = /eval\s*\(\s*Request\s*\[\s*_0x/ nocase ascii wide
        $var_obf  = /var _0[x]/ ascii wide
        $url_tag  = /http:\/\/[a-z]\/<script/ nocase ascii wide
        $pair     = /['"]orange['"]\s*,\s*['"]unsafe['"]/ nocase ascii wide
    condition:
        $eval_obf or ($var_obf and ($url_tag or $pair))
}

/* ------------------------------------------------------------------------ */
/* Shells smuggled inside binary containers                                 */
/* ------------------------------------------------------------------------ */

rule EXH_ProxyShell_PST_Webshell : webshell proxyshell
{
    meta:
        description = "File (< 2 MB) that begins with the PST magic (21 42 44 4E) yet carries ASP.NET page markers"
        severity = "critical"
        family = "ProxyShell PST export shell"
        reference = "SB, OT"
        why = "ProxyShell exported a mailbox to a .aspx path as a PST whose encoded payload lands in clear, so a PST with page markers is a planted shell."
    strings:
        $m1 = /Page\s+Language\s*=/ nocase
        $m2 = "<script" nocase
        $m3 = /runat\s*=/ nocase
    condition:
        uint32(0) == 0x4E444221 and filesize < 2MB and any of ($m*)
}

rule EXH_DER_CertRequest_Webshell : webshell
{
    meta:
        description = "DER-encoded blob (starts 30 82) under 10 KB that contains an ASP.NET page directive"
        severity = "critical"
        family = "DER certificate-request shell"
        reference = "SB, OT"
        why = "Attackers abused certificate-request export to write a DER file with an embedded page to a web folder, where IIS compiles and runs it."
    strings:
        $pl = /Page\s+Language\s*=/ nocase
    condition:
        uint16(0) == 0x8230 and filesize < 10KB and $pl
}

rule EXH_BinaryHeaded_ASPX : webshell
{
    meta:
        description = "ASP.NET page directive in a file whose first 8 bytes hold control bytes, excluding BOMs and known containers"
        severity = "high"
        family = "binary-headed page (dropper artefact)"
        reference = "SB"
        why = "A server page that starts with binary junk was not written by a developer; it is the residue of an export or write primitive abused to plant a shell."
    strings:
        $pl = /Page\s+Language\s*=/ nocase ascii wide
    condition:
        filesize < 5MB and $pl
        and for any i in (0..7) : (
            uint8(i) < 0x09 or (uint8(i) > 0x0D and uint8(i) < 0x20) or uint8(i) == 0x7F
        )
        // byte-order marks: UTF-16LE, UTF-16BE, UTF-8
        and uint16(0) != 0xFEFF and uint16(0) != 0xFFFE
        and (uint32(0) & 0x00FFFFFF) != 0x00BFBBEF
        // containers with rules of their own, or that are not pages
        and not (uint32(0) == 0x4E444221 and filesize < 2MB)   // PST: EXH_ProxyShell_PST_Webshell
        and not (uint16(0) == 0x8230 and filesize < 10KB)      // DER: EXH_DER_CertRequest_Webshell
        and uint16(0) != 0x5A4D                                // PE
        and uint32(0) != 0x04034B50                            // ZIP
        and uint32(0) != 0xAFBC7A37                            // 7z
        and uint32(0) != 0x21726152                            // RAR
        and uint32(0) != 0x4643534D                            // CAB
        and uint32(0) != 0x504D444D                            // minidump
        and uint32(0) != 0xE011CFD0                            // OLE compound file
        and uint16(0) != 0x8B1F                                // gzip
}

/* ------------------------------------------------------------------------ */
/* Upload, tunnel and reconnaissance shells                                 */
/* ------------------------------------------------------------------------ */

rule EXH_Upload_RequestFiles_SaveAs : webshell
{
    meta:
        description = "Server page that saves the first uploaded file of the request straight to disk"
        severity = "high"
        family = "SIMPLESEESHARP-like uploader"
        reference = "VOL, SB"
        why = "Exchange ships no page that saves raw uploads, so this is an attacker's file-drop shell used to stage tools or further shells."
    strings:
        $save = /Request\s*\.\s*Files\s*\[\s*0\s*\]\s*\.\s*SaveAs\s*\(/ nocase ascii wide
        $m1 = /runat\s*=/ nocase ascii wide
        $m2 = "<%" ascii wide
        $m3 = /Page\s+Language/ nocase ascii wide
    condition:
        $save and any of ($m*)
}

rule EXH_SportsBall_Cookie : webshell
{
    meta:
        description = "Server page or compiled page referring to the SPORTSBALL cookie name (see strings)"
        severity = "critical"
        family = "SPORTSBALL"
        reference = "VOL"
        why = "The cookie name is the SPORTSBALL webshell's authentication/command channel and has no legitimate use."
    strings:
        $cookie = /fq[r]spt/ nocase ascii wide
        $m1 = /runat\s*=/ nocase ascii wide
        $m2 = "<%" ascii wide
        $m3 = /Page\s+Language/ nocase ascii wide
        $m4 = "Cookies" nocase ascii wide
    condition:
        $cookie and (any of ($m*) or uint16(0) == 0x5A4D)
}

rule EXH_ReGeorg_Tunnel_ASPX : webshell tunnel
{
    meta:
        description = "reGeorg-style socket tunnel page: the command header plus two more of its control headers (target, port, status, error) plus raw socket use"
        severity = "critical"
        family = "reGeorg"
        reference = "VOL"
        why = "A tunnel page turns the Exchange server into a SOCKS pivot into the internal network."
    strings:
        $h_cmd    = /X-C[M]D/ nocase ascii wide
        $h_target = /X-TA[R]GET/ nocase ascii wide
        $h_port   = /X-PO[R]T/ nocase ascii wide
        $h_status = /X-ST[A]TUS/ nocase ascii wide
        $h_error  = /X-ER[R]OR/ nocase ascii wide
        $k1 = "System.Net.Sockets" nocase ascii wide
        $k2 = /new\s+Socket\s*\(/ nocase ascii wide
        $k3 = "AddressFamily.InterNetwork" nocase ascii wide
        $k4 = /\.Connect\s*\(/ ascii wide
    condition:
        $h_cmd and 2 of ($h_target, $h_port, $h_status, $h_error) and any of ($k*)
}

rule EXH_SecChecker_EDR_Probe : webshell recon
{
    meta:
        description = "Small (< 1 KB) server page starting with an ASP.NET code block that names EDR agent binaries (FireEye HX, CrowdStrike Falcon)"
        severity = "critical"
        family = "SecChecker"
        reference = "MSB"
        why = "Attackers dropped this page to learn which EDR product guards the server before choosing their next tools."
    strings:
        $edr1 = /xa[g]t\.exe/ nocase ascii wide
        $edr2 = /csfalcon[s]ervice\.exe/ nocase ascii wide
    condition:
        filesize < 1KB
        and (uint16(0) == 0x253C
             or ((uint32(0) & 0x00FFFFFF) == 0x00BFBBEF and uint16(3) == 0x253C))
        and any of ($edr*)
}

rule EXH_ASPX_FileManager : webshell
{
    meta:
        description = "ASPX file manager (ASPX Spy-like): directory enumeration, request input, response output, delete and upload primitives in one page"
        severity = "high"
        family = "ASPX file manager (ASPX Spy)"
        reference = "SB"
        why = "A page that browses, deletes and uploads files gives an attacker interactive control of the server's file system."
    strings:
        $pg1 = /<%@\s*Page/ nocase ascii wide
        $pg2 = /runat\s*=\s*["']?server/ nocase ascii wide
        $spy = /ASPX[S]py/ nocase ascii wide
        $enum = /\.Get(Files|Directories)\s*\(/ ascii wide
        $req = "Request" ascii wide
        $rw = /Response\s*\.\s*Write\s*\(/ ascii wide
        $del1 = /File\s*\.\s*Delete\s*\(/ ascii wide
        $del2 = /Directory\s*\.\s*Delete\s*\(/ ascii wide
        $up1 = /\.SaveAs\s*\(/ ascii wide
        $up2 = "PostedFile" ascii wide
        $up3 = /File\s*\.\s*WriteAllBytes\s*\(/ ascii wide
    condition:
        any of ($pg*)
        and ($spy or ($enum and $req and $rw and any of ($del*) and any of ($up*)))
}

rule EXH_XSLT_Loader_Shell : webshell
{
    meta:
        description = "XSLT loader: an XML document loaded from base64 request data and used as a stylesheet for a transform"
        severity = "critical"
        family = "XSLT loader"
        reference = "SB"
        why = "Running a request-supplied base64 stylesheet executes attacker code through XSLT script blocks while avoiding eval signatures."
    strings:
        $x1 = /\.LoadXml\s*\(/ nocase ascii wide
        $x2 = /FromBase64String\s*\(\s*Request\s*[\[.]/ nocase ascii wide
        $x3 = /\.Transform\s*\(/ nocase ascii wide
    condition:
        all of them
}

rule EXH_Webshell_Published_Markers : webshell
{
    meta:
        description = "Server page containing a published webshell marker: the asf comment splitting an eval call, or the getErrorWord helper function"
        severity = "high"
        family = "Exchange webshell (misc.)"
        reference = "SB"
        why = "These exact code fragments were seen in webshells planted on Exchange servers and are not part of genuine Exchange pages."
    strings:
        $k1 = /\)\s*;\s*eval\s*\/\*asf/ nocase ascii wide
        $k2 = /function\s+getErrorWord/ ascii wide
        $m1 = /runat\s*=/ nocase ascii wide
        $m2 = "<%" ascii wide
        $m3 = /Page\s+Language/ nocase ascii wide
    condition:
        any of ($k*) and any of ($m*)
}

/* ------------------------------------------------------------------------ */
/* Compiled pages in Temporary ASP.NET Files (App_Web_*.dll)                 */
/* ------------------------------------------------------------------------ */

rule EXH_AppWeb_Shell_DLL : webshell compiled
{
    meta:
        description = "Small PE (5-40 KB) calling the JScript eval helper with an aspnet_client or auth virtual path, or holding the one-letter f/g URL used by HAFNIUM"
        severity = "critical"
        family = "compiled HAFNIUM page (App_Web DLL)"
        reference = "SB"
        why = "ASP.NET keeps the compiled shell in Temporary ASP.NET Files, so this proves a shell ran here even after the .aspx was deleted."
    strings:
        $jse = "JScriptEvaluate" ascii wide
        $vp1 = "~/aspnet_client/" nocase ascii wide
        $vp2 = "~/auth/" nocase ascii wide
        $u1 = "http://f/" wide
        $u2 = "http://g/" wide
    condition:
        uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550
        and filesize > 5KB and filesize < 40KB
        and (($jse and any of ($vp*)) or any of ($u*))
}

rule EXH_AppWeb_JScript_Eval_DLL : webshell compiled
{
    meta:
        description = "Small App_Web_ assembly (5-40 KB) that calls JScriptEvaluate, without the path strings of EXH_AppWeb_Shell_DLL"
        severity = "high"
        family = "compiled JScript eval page (App_Web DLL)"
        reference = "SB"
        why = "Exchange's own pages are C#; a compiled JScript page that evaluates code is almost certainly a Chopper-style shell that once existed on disk."
    strings:
        $jse = "JScriptEvaluate" ascii wide
        $appweb = "App_Web_" ascii wide
        $vp1 = "~/aspnet_client/" nocase ascii wide
        $vp2 = "~/auth/" nocase ascii wide
        $u1 = "http://f/" wide
        $u2 = "http://g/" wide
    condition:
        uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550
        and filesize > 5KB and filesize < 40KB
        and $jse and $appweb and not any of ($vp*) and not any of ($u*)
}

rule EXH_AppWeb_AspnetClient_Page_DLL : compiled
{
    meta:
        description = "Small App_Web_ assembly (5-40 KB) compiled from a page under ~/aspnet_client/ (no JScriptEvaluate)"
        severity = "high"
        family = "compiled page from aspnet_client (App_Web DLL)"
        reference = "SB, VOL"
        why = "aspnet_client normally holds only static files, so a compiled page from it means an .aspx there was requested and run."
    strings:
        $appweb = "App_Web_" ascii wide
        $vp1 = "~/aspnet_client/" nocase wide
        $jse = "JScriptEvaluate" ascii wide
        $u1 = "http://f/" wide
        $u2 = "http://g/" wide
    condition:
        uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550
        and filesize > 5KB and filesize < 40KB
        and $appweb and $vp1 and not $jse and not any of ($u*)
}

/* ------------------------------------------------------------------------ */
/* Credential dumps                                                         */
/* ------------------------------------------------------------------------ */

rule EXH_LSASS_Minidump : dump credential_access
{
    meta:
        description = "Windows minidump (MDMP header, version 0xA793) that names lsass, under any file name"
        severity = "critical"
        family = "LSASS memory dump"
        reference = "MSB"
        why = "A dump of LSASS holds credentials of everyone logged on to the server; treat all those accounts as compromised."
    strings:
        $lsass = "lsass" nocase ascii wide
    condition:
        uint32(0) == 0x504D444D and uint16(4) == 0xA793 and $lsass
}

rule EXH_Minidump_File : dump
{
    meta:
        description = "Windows minidump (MDMP header, version 0xA793) under any file name, not naming lsass"
        severity = "high"
        family = "process memory dump"
        reference = "MSB"
        why = "Attackers dump processes to steal secrets and rename the dumps; any dump outside a crash-dump folder needs its source process established."
    strings:
        $lsass = "lsass" nocase ascii wide
    condition:
        uint32(0) == 0x504D444D and uint16(4) == 0xA793 and not $lsass
}

/* ------------------------------------------------------------------------ */
/* Staging archives (context)                                               */
/* ------------------------------------------------------------------------ */

rule EXH_Archive_7z : archive staging
{
    meta:
        description = "7-Zip archive (37 7A BC AF 27 1C)"
        severity = "low"
        family = "staging archive"
        reference = "SB, SENT"
        why = "Context only: attackers packed dumps and stolen data before exfiltration; a human must check what the archive holds and when it appeared."
    condition:
        uint32(0) == 0xAFBC7A37 and uint16(4) == 0x1C27
}

rule EXH_Archive_RAR : archive staging
{
    meta:
        description = "RAR archive, v4 or v5 (Rar! 1A 07)"
        severity = "low"
        family = "staging archive"
        reference = "SB, SENT"
        why = "Context only: attackers packed dumps and stolen data before exfiltration; a human must check what the archive holds and when it appeared."
    condition:
        uint32(0) == 0x21726152 and uint16(4) == 0x071A
}

rule EXH_Archive_ZIP : archive staging
{
    meta:
        description = "ZIP archive (PK 03 04 local file header)"
        severity = "low"
        family = "staging archive"
        reference = "SB, SENT"
        why = "Context only: attackers packed dumps and mailbox data into zips (e.g. ProgramData it.zip); a human must check what it holds and when it appeared."
    condition:
        uint32(0) == 0x04034B50
}

rule EXH_Archive_CAB : archive staging
{
    meta:
        description = "Microsoft cabinet (MSCF, reserved field zero)"
        severity = "low"
        family = "staging archive"
        reference = "SB"
        why = "Context only: makecab was used to pack recon output and registry hives; a human must check what the cabinet holds."
    condition:
        uint32(0) == 0x4643534D and uint32(4) == 0
}

rule EXH_Archive_Holding_Dump : archive staging dump
{
    meta:
        description = "ZIP, RAR or CAB whose clear-text member names include a .dmp file"
        severity = "medium"
        family = "staged memory dump"
        reference = "SB"
        why = "A dump packed into an archive (e.g. lsass.dmp.zip) is being readied for exfiltration; find and examine the dump's origin."
    strings:
        $dmp = /[A-Za-z0-9_\-]{1,40}\.dmp/ nocase
    condition:
        (uint32(0) == 0x04034B50
         or (uint32(0) == 0x21726152 and uint16(4) == 0x071A)
         or (uint32(0) == 0x4643534D and uint32(4) == 0))
        and $dmp
}

rule EXH_CAB_Recon_Staging : archive staging recon
{
    meta:
        description = "Cabinet whose member names include ip.txt or arp.txt"
        severity = "medium"
        family = "staged reconnaissance output"
        reference = "SB"
        why = "Network recon output packed with makecab matches the published post-exploitation staging pattern; hives may be in the same cabinet."
    strings:
        $ip = "ip.txt" nocase
        $arp = "arp.txt" nocase
    condition:
        uint32(0) == 0x4643534D and uint32(4) == 0 and any of them
}
