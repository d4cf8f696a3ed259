"""Hosts of a staff member's web, drawn from public category lists: the social networks they
name (``SOCIAL``) and the sites staff open all day (``NOT_SOCIAL``). tests/engine/test_coverage.py
holds the shipped lists to them; bench/pac_share.py builds a synthetic day from them."""

from __future__ import annotations

# (host, list that files it as social) -> must be social_media
# fmt: off
SOCIAL: list[tuple[str, str]] = [
    # the policy's five and the other large networks
    ("facebook.com", "UT1"), ("instagram.com", "UT1"), ("snapchat.com", "UT1"),
    ("tiktok.com", "UT1"), ("x.com", "UT1"), ("twitter.com", "UT1"), ("youtube.com", "AdGuard"),
    ("reddit.com", "UT1"), ("linkedin.com", "UT1"), ("pinterest.com", "UT1"),
    ("tumblr.com", "AdGuard"), ("discord.com", "UT1"), ("twitch.tv", "AdGuard"),
    ("bsky.app", "AdGuard"), ("threads.net", "Sinf"), ("threads.com", "popular"),
    ("telegram.org", "UT1"), ("vk.com", "UT1"), ("ok.ru", "UT1"), ("messenger.com", "NextDNS"),
    ("bereal.com", "NextDNS"), ("quora.com", "popular"), ("nextdoor.com", "popular"),
    ("roblox.com", "NextDNS"), ("lemon8-app.com", "popular"), ("medium.com", "popular"),
    ("substack.com", "popular"), ("wattpad.com", "UT1"), ("flickr.com", "UT1"),
    ("deviantart.com", "UT1"), ("dailymotion.com", "AdGuard"), ("rumble.com", "popular"),
    ("kick.com", "popular"), ("truthsocial.com", "UT1"), ("patreon.com", "popular"),
    ("meetup.com", "UT1"), ("goodreads.com", "UT1"), ("letterboxd.com", "popular"),
    ("strava.com", "popular"), ("weibo.com", "UT1"), ("xiaohongshu.com", "UT1"),
    ("douyin.com", "UT1"), ("ask.fm", "UT1"), ("tagged.com", "UT1"),
    # country domains of the big ones
    ("facebook.fr", "UT1"), ("facebook.com.br", "UT1"), ("facebook.de", "Sinf"),
    ("facebook.co.za", "Sinf"), ("facebook.jp", "Sinf"), ("facebook.ro", "UT1"),
    ("linkedin.com.br", "UT1"), ("br.linkedin.com", "UT1"), ("linkedin.fr", "UT1"),
    ("linkedin.nl", "AdGuard"), ("pinterest.co.kr", "AdGuard"), ("pinterest.de", "AdGuard"),
    ("pinterest.com.vn", "AdGuard"), ("pinterest.ru", "AdGuard"), ("youtube.de", "AdGuard"),
    ("youtube.co.uk", "AdGuard"), ("youtube.com.br", "AdGuard"), ("youtube.co.jp", "AdGuard"),
    ("instagram.com.br", "Sinf"), ("instagram.de", "Sinf"), ("twitter.de", "Sinf"),
    ("tiktok.in", "Sinf"),
    # large non-US networks
    ("douban.com", "UT1"), ("zhihu.com", "AdGuard"), ("bilibili.com", "AdGuard"),
    ("b23.tv", "AdGuard"), ("qzone.qq.com", "UT1"), ("weibo.cn", "AdGuard"),
    ("xhscdn.com", "AdGuard"), ("tieba.baidu.com", "popular"), ("kuaishou.com", "popular"),
    ("kwai.com", "popular"), ("pixiv.net", "popular"), ("nicovideo.jp", "popular"),
    ("mixi.jp", "UT1"), ("ameblo.jp", "popular"), ("linevoom.line.me", "popular"),
    ("story.kakao.com", "popular"), ("cafe.naver.com", "popular"), ("blog.naver.com", "popular"),
    ("cafe.daum.net", "popular"), ("dcinside.com", "popular"), ("cyworld.com", "UT1"),
    ("weverse.io", "popular"), ("my.mail.ru", "popular"), ("livejournal.com", "UT1"),
    ("pikabu.ru", "popular"), ("rutube.ru", "popular"), ("xing.com", "UT1"),
    ("wykop.pl", "UT1"), ("hejto.pl", "UT1"), ("draugiem.lv", "UT1"), ("skyrock.com", "UT1"),
    ("plurk.com", "UT1"), ("dcard.tw", "popular"), ("ptt.cc", "popular"),
    ("lihkg.com", "popular"), ("kaskus.co.id", "popular"), ("sharechat.com", "popular"),
    ("jodel.com", "popular"), ("sooplive.co.kr", "popular"), ("douyu.com", "popular"),
    # images, memes, art, writing
    ("imgur.com", "AdGuard"), ("9gag.com", "AdGuard"), ("vsco.co", "popular"),
    ("500px.com", "AdGuard"), ("ifunny.co", "popular"), ("weheartit.com", "popular"),
    ("artstation.com", "popular"), ("behance.net", "popular"), ("dribbble.com", "popular"),
    ("newgrounds.com", "popular"), ("archiveofourown.org", "popular"),
    ("fanfiction.net", "popular"), ("webtoons.com", "popular"), ("librarything.com", "UT1"),
    ("thestorygraph.com", "popular"), ("dev.to", "popular"),
    # video, live, audio
    ("odysee.com", "AdGuard"), ("bitchute.com", "popular"), ("bigo.tv", "AdGuard"),
    ("likee.video", "popular"), ("triller.co", "popular"), ("younow.com", "popular"),
    ("clubhouse.com", "AdGuard"), ("soundcloud.com", "UT1"), ("audiomack.com", "popular"),
    ("mixcloud.com", "popular"), ("smule.com", "popular"), ("last.fm", "UT1"),
    ("reverbnation.com", "UT1"), ("twitcasting.tv", "popular"),
    # forums, social news, anonymous apps
    ("news.ycombinator.com", "UT1"), ("digg.com", "UT1"), ("fark.com", "UT1"),
    ("4chan.org", "AdGuard"), ("disqus.com", "UT1"), ("tellonym.me", "popular"),
    ("ngl.link", "popular"), ("whisper.sh", "popular"), ("lobste.rs", "popular"),
    ("tildes.net", "popular"), ("producthunt.com", "popular"), ("wizzapp.com", "AdGuard"),
    # alternative networks
    ("gab.com", "UT1"), ("mewe.com", "UT1"), ("gettr.com", "popular"), ("minds.com", "UT1"),
    ("parler.com", "UT1"), ("clouthub.com", "UT1"), ("tribel.com", "UT1"),
    ("hivesocial.app", "UT1"), ("spoutible.com", "popular"), ("locals.com", "popular"),
    ("spacehey.com", "popular"), ("myspace.com", "UT1"), ("primal.net", "popular"),
    ("warpcast.com", "popular"), ("classmates.com", "UT1"), ("couchsurfing.com", "UT1"),
    ("buymeacoffee.com", "UT1"), ("ko-fi.com", "popular"), ("onlyfans.com", "AdGuard"),
    # gaming communities and virtual worlds
    ("steamcommunity.com", "AdGuard"), ("guilded.gg", "popular"), ("vrchat.com", "popular"),
    ("rec.net", "popular"), ("imvu.com", "popular"), ("zepeto.me", "popular"),
    ("habbo.com", "UT1"), ("habbo.com.br", "UT1"), ("habbo.de", "UT1"),
    ("aminoapps.com", "AdGuard"), ("moviestarplanet.com", "popular"),
    # fediverse servers
    ("mastodon.social", "UT1"), ("mastodon.online", "UT1"), ("noc.social", "UT1"),
    ("ieji.de", "UT1"), ("mstdn.jp", "AdGuard"), ("troet.cafe", "AdGuard"),
    ("mastodon.uno", "AdGuard"), ("pawoo.net", "popular"), ("misskey.io", "popular"),
    ("pixelfed.social", "popular"), ("lemmy.world", "popular"), ("lemmy.ml", "popular"),
    ("beehaw.org", "popular"), ("sh.itjust.works", "popular"), ("tilvids.com", "popular"),
    ("diasp.org", "popular"), ("bookwyrm.social", "popular"), ("koyu.space", "UT1"),
    # smaller communities the lists carry
    ("albicla.com", "UT1"), ("anobii.com", "UT1"), ("bookcrossing.com", "UT1"),
    ("ravelry.com", "UT1"), ("bebee.com", "UT1"), ("blackplanet.com", "UT1"),
    ("mocospace.com", "UT1"), ("ning.com", "UT1"), ("dailystrength.org", "UT1"),
    ("gaiaonline.com", "UT1"), ("stardoll.com", "UT1"), ("skoob.com.br", "UT1"),
    ("filmow.com", "UT1"), ("kookapp.cn", "AdGuard"), ("yy.com", "AdGuard"),
]

# Sites staff use all day that must never warn or show a notice.
NOT_SOCIAL: list[str] = [
    # search, portals and the hosts next to platforms
    "google.com", "www.google.com", "maps.google.com", "translate.google.com",
    "scholar.google.com", "news.google.com", "bing.com", "duckduckgo.com", "yahoo.com",
    "news.yahoo.com", "yahoo.co.jp", "msn.com", "aol.com", "baidu.com", "www.qq.com",
    "news.qq.com", "naver.com", "search.naver.com", "daum.net", "mail.ru", "yandex.ru",
    "map.kakao.com", "webtoon.kakao.com",
    "ycombinator.com", "store.steampowered.com", "steampowered.com",
    # reference and learning
    "wikipedia.org", "en.wikipedia.org", "britannica.com", "merriam-webster.com",
    "dictionary.com", "wolframalpha.com", "archive.org", "gutenberg.org", "w3schools.com",
    "developer.mozilla.org", "python.org", "docs.python.org", "stackoverflow.com",
    "superuser.com", "khanacademy.org", "quizlet.com", "kahoot.it", "code.org",
    "scratch.mit.edu", "coursera.org", "edx.org", "ck12.org", "pbslearningmedia.org",
    "nationalgeographic.com", "si.edu", "collegeboard.org", "act.org", "commonapp.org",
    "fandom.com", "genius.com", "researchgate.net",
    # news
    "nytimes.com", "washingtonpost.com", "wsj.com", "cnn.com", "foxnews.com", "nbcnews.com",
    "cbsnews.com", "abcnews.go.com", "usatoday.com", "latimes.com", "theguardian.com",
    "bbc.co.uk", "bbc.com", "reuters.com", "apnews.com", "npr.org", "pbs.org",
    "bloomberg.com", "economist.com", "kansas.com", "kcur.org", "kansasreflector.com",
    "cjonline.com", "ljworld.com", "espn.com", "weather.com", "accuweather.com",
    "forbes.com", "theatlantic.com", "politico.com", "axios.com", "slashdot.org",
    # shopping
    "amazon.com", "amazon.co.uk", "amazon.de", "ebay.com", "walmart.com", "target.com",
    "bestbuy.com", "costco.com", "homedepot.com", "lowes.com", "etsy.com", "aliexpress.com",
    "temu.com", "wayfair.com", "ikea.com", "apple.com", "dell.com", "staples.com",
    "scholastic.com", "teacherspayteachers.com", "taobao.com", "jd.com", "rakuten.co.jp",
    "mercadolibre.com",
    # government and schools
    "irs.gov", "ssa.gov", "usa.gov", "whitehouse.gov", "congress.gov", "ed.gov",
    "studentaid.gov", "cdc.gov", "nih.gov", "nasa.gov", "weather.gov", "usps.com",
    "census.gov", "loc.gov", "state.gov", "kansas.gov", "ksde.org", "ksde.gov",
    "ksrevenue.gov", "kslegislature.gov", "kshsaa.org", "kasb.org", "gov.uk", "canada.ca",
    "usd259.org", "bluevalleyk12.org", "smsd.org", "olatheschools.org", "usd497.org",
    "ku.edu", "k-state.edu", "wichita.edu", "emporia.edu", "mit.edu", "harvard.edu",
    # SaaS, cloud and district tools
    "microsoft.com", "office.com", "outlook.office.com", "docs.google.com",
    "drive.google.com", "sites.google.com", "classroom.google.com", "dropbox.com", "box.com",
    "zoom.us", "salesforce.com", "adobe.com", "canva.com", "notion.so", "trello.com",
    "asana.com", "atlassian.com", "figma.com", "grammarly.com", "docusign.com",
    "intuit.com", "paypal.com", "stripe.com", "shopify.com", "mailchimp.com",
    "surveymonkey.com", "typeform.com", "openai.com", "chatgpt.com", "claude.ai",
    "gemini.google.com", "icloud.com", "cloudflare.com", "aws.amazon.com",
    "azure.microsoft.com", "okta.com", "instructure.com", "usd259.instructure.com",
    "clever.com", "classlink.com", "powerschool.com", "infinitecampus.org",
    # code and site hosting: users' own sites are not a social platform
    "github.com", "someone.github.io", "gitlab.com", "blogspot.com", "someone.blogspot.com",
    "wordpress.com", "someone.wordpress.com", "wix.com", "squarespace.com", "weebly.com",
    # CDNs and assets
    "d1a2b3c4.cloudfront.net", "cdn.jsdelivr.net", "cdnjs.cloudflare.com",
    "fonts.googleapis.com", "fonts.gstatic.com", "ajax.googleapis.com", "www.gstatic.com",
    "lh3.googleusercontent.com", "a248.e.akamai.net",
    # banking, travel, entertainment, health
    "chase.com", "bankofamerica.com", "wellsfargo.com", "capitalone.com", "delta.com",
    "united.com", "southwest.com", "booking.com", "expedia.com", "airbnb.com",
    "tripadvisor.com", "yelp.com", "netflix.com", "hulu.com", "disneyplus.com",
    "spotify.com", "pandora.com", "imdb.com", "rottentomatoes.com", "nfl.com", "nba.com",
    "mlb.com", "crunchyroll.com", "mayoclinic.org", "webmd.com", "giphy.com", "tenor.com",
    # more district and everyday tools
    "quizizz.com", "padlet.com", "remind.com", "seesaw.me", "parentsquare.com",
    "schoology.com", "brightspace.com", "zoom.com", "webex.com", "linktr.ee", "calendly.com",
    "eventbrite.com", "signupgenius.com", "craigslist.org", "zillow.com", "indeed.com",
    "hbr.org", "kff.org",
]
# fmt: on
