<%@ Page Language="C#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.ErrorFE" %>
<!DOCTYPE html>
<html><head><title>Outlook</title></head>
<body>Something went wrong.</body></html>
