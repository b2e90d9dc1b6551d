<%@ Page Language="C#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.TimeoutLogout" %>
<!DOCTYPE html>
<html><head><title>Outlook</title></head>
<body>Your session has ended.</body></html>
