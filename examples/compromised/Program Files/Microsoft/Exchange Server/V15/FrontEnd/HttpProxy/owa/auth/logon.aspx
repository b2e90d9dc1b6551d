<%@ Page Language="C#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>
<!DOCTYPE html>
<html><head><title>Outlook</title></head>
<body><form action="/owa/auth.owa" method="POST"><input name="username"/></form></body></html>
