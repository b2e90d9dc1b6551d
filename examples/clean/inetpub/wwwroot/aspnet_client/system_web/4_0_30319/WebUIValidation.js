var Page_ValidationVer = "125";
