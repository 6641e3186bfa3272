/* Swagger UI (/api/docs/) in Chinese where it allows it: Swagger UI has no translations of its
   own, so its fixed labels (buttons, headings, placeholders) are replaced as it draws them. The
   API's own texts (summaries, descriptions, field help) are Chinese already and never touched:
   only whole texts found in the table below are replaced. */
(function () {
  "use strict";
  var ZH = {
    "Authorize": "授权", "Authorized": "已授权", "Logout": "退出", "Close": "关闭",
    "Available authorizations": "可用的认证方式", "Value:": "令牌：", "Value": "值",
    "Filter by tag": "按标签筛选", "Try it out": "试一试", "Cancel": "取消", "Execute": "执行",
    "Clear": "清除", "Parameters": "参数", "No parameters": "无参数", "Name": "名称",
    "Description": "说明", "Responses": "响应", "Response content type": "响应格式",
    "Request body": "请求体", "Code": "状态码", "Links": "链接", "No links": "无链接",
    "Example Value": "示例值", "Schema": "结构", "Schemas": "数据结构", "Server response": "服务器响应",
    "Response body": "响应正文", "Response headers": "响应头", "Request URL": "请求地址",
    "Request duration": "请求耗时", "Details": "详情", "Download": "下载", "Loading...": "加载中……",
    "Undocumented": "未说明", "required": "必填", "Expand all": "全部展开", "Collapse all": "全部收起",
    "Send empty value": "发送空值", "Add string item": "添加一项", "Add integer item": "添加一项",
    "Reset": "重置", "Edit Value": "编辑值", "Media type": "媒体类型", "Controls Accept header.": "决定 Accept 请求头。",
    "Examples": "示例", "Example": "示例", "Servers": "服务器", "Server variables": "服务器变量",
    "Failed to fetch.": "请求失败。", "Copy to clipboard": "复制", "(query)": "（查询参数）", "(path)": "（路径参数）",
    "(header)": "（请求头）", "(cookie)": "（Cookie）"
  };
  var PLACEHOLDERS = { "Filter by tag": "按标签筛选" };

  function translate(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      var text = node.nodeValue.trim();
      if (text && Object.prototype.hasOwnProperty.call(ZH, text)) {
        node.nodeValue = node.nodeValue.replace(text, ZH[text]);
      }
    }
    if (root.querySelectorAll) {
      root.querySelectorAll("input[placeholder]").forEach(function (input) {
        var zh = PLACEHOLDERS[input.getAttribute("placeholder")];
        if (zh) { input.setAttribute("placeholder", zh); }
      });
    }
  }

  var box = document.getElementById("swagger-ui");
  if (!box) { return; }
  document.documentElement.setAttribute("lang", "zh-CN");
  var pending = false;
  new MutationObserver(function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; translate(box); });
  }).observe(box, { childList: true, subtree: true, characterData: true });
  translate(box);
})();
