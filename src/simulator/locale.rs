//! Static tables that make the synthetic nation look like a European party's: given names
//! and family names in several scripts (Latin with diacritics, Greek, Cyrillic, Arabic), real
//! cities with their regions, postcodes and coordinates, street names, phone country codes and
//! time-zone offsets. Each name carries an ASCII spelling used to build e-mail addresses.

/// Where a street number goes relative to the street name.
#[derive(Clone, Copy)]
pub(crate) enum StreetStyle {
    /// "12 rue de la Paix"
    NumberFirst,
    /// "Hauptstraße 12"
    NumberLast,
}

/// A city: name, region, postcode prefix, latitude, longitude.
pub(crate) type City = (&'static str, &'static str, &'static str, f64, f64);

/// One national population the generator draws from.
pub(crate) struct Locale {
    /// ISO 3166 country code.
    pub country: &'static str,
    /// Language tag for the `locale`/`language` fields.
    pub language: &'static str,
    /// Given names: (display spelling, ASCII spelling).
    pub first: &'static [(&'static str, &'static str)],
    /// Family names: (display spelling, ASCII spelling).
    pub last: &'static [(&'static str, &'static str)],
    /// Cities.
    pub cities: &'static [City],
    /// Street names.
    pub streets: &'static [&'static str],
    /// Street number placement.
    pub street_style: StreetStyle,
    /// Length of the postcode; the city prefix is padded with digits.
    pub zip_len: usize,
    /// Phone country calling code without `+`.
    pub phone_cc: &'static str,
    /// Mail providers popular in the country.
    pub domains: &'static [&'static str],
}

const FR_FIRST: &[(&str, &str)] = &[
    ("Amélie", "amelie"),
    ("Benoît", "benoit"),
    ("Céline", "celine"),
    ("François", "francois"),
    ("Hélène", "helene"),
    ("Jérôme", "jerome"),
    ("Léa", "lea"),
    ("Noël", "noel"),
    ("Zoé", "zoe"),
    ("Gaëlle", "gaelle"),
    ("Anaïs", "anais"),
    ("Jean-Michel", "jean-michel"),
    ("Loïc", "loic"),
    ("Éloïse", "eloise"),
    ("Marie", "marie"),
    ("Pierre", "pierre"),
];
const FR_LAST: &[(&str, &str)] = &[
    ("Dubois", "dubois"),
    ("Lefèvre", "lefevre"),
    ("Moreau", "moreau"),
    ("Girard", "girard"),
    ("Bénard", "benard"),
    ("Lemaître", "lemaitre"),
    ("Fournier", "fournier"),
    ("Ducrocq-Lévêque", "ducrocq-leveque"),
    ("Garçon", "garcon"),
    ("Mercier", "mercier"),
    ("d'Aubigné", "daubigne"),
    ("Rousseau", "rousseau"),
];
const FR_CITIES: &[City] = &[
    ("Paris", "Île-de-France", "75", 48.8566, 2.3522),
    ("Lyon", "Auvergne-Rhône-Alpes", "69", 45.764, 4.8357),
    (
        "Marseille",
        "Provence-Alpes-Côte d'Azur",
        "13",
        43.2965,
        5.3698,
    ),
    ("Lille", "Hauts-de-France", "59", 50.6292, 3.0573),
    ("Besançon", "Bourgogne-Franche-Comté", "25", 47.2378, 6.0241),
    (
        "Saint-Étienne",
        "Auvergne-Rhône-Alpes",
        "42",
        45.4397,
        4.3872,
    ),
];
const FR_STREETS: &[&str] = &[
    "rue de la République",
    "avenue Jean-Jaurès",
    "boulevard Voltaire",
    "rue des Écoles",
    "place de l'Église",
    "chemin du Moulin",
    "allée des Tilleuls",
];

const DE_FIRST: &[(&str, &str)] = &[
    ("Jürgen", "juergen"),
    ("Björn", "bjoern"),
    ("Müge", "muege"),
    ("Günther", "guenther"),
    ("Käthe", "kaethe"),
    ("Sören", "soeren"),
    ("Lukas", "lukas"),
    ("Anna", "anna"),
    ("Jörg", "joerg"),
    ("Heike", "heike"),
    ("Maximilian", "maximilian"),
    ("Ursula", "ursula"),
];
const DE_LAST: &[(&str, &str)] = &[
    ("Müller", "mueller"),
    ("Schröder", "schroeder"),
    ("Weiß", "weiss"),
    ("Groß", "gross"),
    ("Köhler", "koehler"),
    ("Schmidt", "schmidt"),
    ("Bäcker", "baecker"),
    ("Fuchs", "fuchs"),
    ("von der Heyde", "vonderheyde"),
    ("Öztürk", "oeztuerk"),
    ("Wagner", "wagner"),
];
const DE_CITIES: &[City] = &[
    ("Berlin", "Berlin", "10", 52.52, 13.405),
    ("München", "Bayern", "80", 48.1351, 11.582),
    ("Köln", "Nordrhein-Westfalen", "50", 50.9375, 6.9603),
    ("Düsseldorf", "Nordrhein-Westfalen", "40", 51.2277, 6.7735),
    ("Görlitz", "Sachsen", "02", 51.1522, 14.9873),
    ("Lübeck", "Schleswig-Holstein", "23", 53.8655, 10.6866),
];
const DE_STREETS: &[&str] = &[
    "Hauptstraße",
    "Schloßallee",
    "Bahnhofstraße",
    "Am Gärtnerweg",
    "Friedrich-Ebert-Platz",
    "Lindenstraße",
    "Große Bäckergasse",
];

const PL_FIRST: &[(&str, &str)] = &[
    ("Łukasz", "lukasz"),
    ("Małgorzata", "malgorzata"),
    ("Wojciech", "wojciech"),
    ("Zofia", "zofia"),
    ("Bożena", "bozena"),
    ("Grzegorz", "grzegorz"),
    ("Jędrzej", "jedrzej"),
    ("Agnieszka", "agnieszka"),
    ("Paweł", "pawel"),
    ("Ewa", "ewa"),
];
const PL_LAST: &[(&str, &str)] = &[
    ("Kowalski", "kowalski"),
    ("Wiśniewska", "wisniewska"),
    ("Wójcik", "wojcik"),
    ("Kamińska", "kaminska"),
    ("Zieliński", "zielinski"),
    ("Szczęsny", "szczesny"),
    ("Dąbrowska", "dabrowska"),
    ("Żółkiewski", "zolkiewski"),
];
const PL_CITIES: &[City] = &[
    ("Warszawa", "mazowieckie", "00", 52.2297, 21.0122),
    ("Kraków", "małopolskie", "30", 50.0647, 19.945),
    ("Łódź", "łódzkie", "90", 51.7592, 19.456),
    ("Gdańsk", "pomorskie", "80", 54.352, 18.6466),
    ("Wrocław", "dolnośląskie", "50", 51.1079, 17.0385),
];
const PL_STREETS: &[&str] = &[
    "ul. Marszałkowska",
    "ul. Świętokrzyska",
    "al. Jerozolimskie",
    "ul. Długa",
    "ul. Żeromskiego",
    "pl. Grunwaldzki",
];

const ES_FIRST: &[(&str, &str)] = &[
    ("José", "jose"),
    ("María José", "mariajose"),
    ("Iñaki", "inaki"),
    ("Begoña", "begona"),
    ("Raúl", "raul"),
    ("Lucía", "lucia"),
    ("Jesús", "jesus"),
    ("Ainhoa", "ainhoa"),
    ("Álvaro", "alvaro"),
    ("Nuria", "nuria"),
];
const ES_LAST: &[(&str, &str)] = &[
    ("García López", "garcialopez"),
    ("Fernández", "fernandez"),
    ("Muñoz", "munoz"),
    ("Pérez de la Cruz", "perezdelacruz"),
    ("Ibáñez", "ibanez"),
    ("Gómez", "gomez"),
    ("Núñez", "nunez"),
    ("Etxeberria", "etxeberria"),
];
const ES_CITIES: &[City] = &[
    ("Madrid", "Comunidad de Madrid", "28", 40.4168, -3.7038),
    ("Barcelona", "Cataluña", "08", 41.3874, 2.1686),
    ("Sevilla", "Andalucía", "41", 37.3891, -5.9845),
    ("A Coruña", "Galicia", "15", 43.3623, -8.4115),
    (
        "Donostia-San Sebastián",
        "País Vasco",
        "20",
        43.3183,
        -1.9812,
    ),
];
const ES_STREETS: &[&str] = &[
    "Calle Mayor",
    "Avenida de la Constitución",
    "Plaza de España",
    "Calle del Pozo",
    "Paseo de Gràcia",
    "Calle Núñez de Balboa",
];

const GR_FIRST: &[(&str, &str)] = &[
    ("Γιώργος", "giorgos"),
    ("Μαρία", "maria"),
    ("Δημήτρης", "dimitris"),
    ("Ελένη", "eleni"),
    ("Νίκος", "nikos"),
    ("Αικατερίνη", "aikaterini"),
    ("Σοφία", "sofia"),
    ("Κωνσταντίνος", "konstantinos"),
];
const GR_LAST: &[(&str, &str)] = &[
    ("Παπαδόπουλος", "papadopoulos"),
    ("Νικολάου", "nikolaou"),
    ("Γεωργίου", "georgiou"),
    ("Οικονόμου", "oikonomou"),
    ("Παπαδοπούλου", "papadopoulou"),
    ("Βασιλείου", "vasileiou"),
];
const GR_CITIES: &[City] = &[
    ("Αθήνα", "Αττική", "10", 37.9838, 23.7275),
    ("Θεσσαλονίκη", "Κεντρική Μακεδονία", "54", 40.6401, 22.9444),
    ("Πάτρα", "Δυτική Ελλάδα", "26", 38.2466, 21.7346),
    ("Ηράκλειο", "Κρήτη", "71", 35.3387, 25.1442),
];
const GR_STREETS: &[&str] = &[
    "Οδός Ερμού",
    "Λεωφόρος Συγγρού",
    "Οδός Αριστοτέλους",
    "Πλατεία Συντάγματος",
];

const AR_FIRST: &[(&str, &str)] = &[
    ("محمد", "mohamed"),
    ("فاطمة", "fatima"),
    ("يوسف", "youssef"),
    ("مريم", "meryem"),
    ("عمر", "omar"),
    ("خديجة", "khadija"),
    ("Karim", "karim"),
    ("Yasmine", "yasmine"),
];
const AR_LAST: &[(&str, &str)] = &[
    ("بن علي", "benali"),
    ("الحسني", "elhassani"),
    ("El Amrani", "elamrani"),
    ("Benjelloun", "benjelloun"),
    ("العلوي", "alaoui"),
    ("Haddad", "haddad"),
];
const BE_CITIES: &[City] = &[
    ("Bruxelles", "Bruxelles-Capitale", "10", 50.8503, 4.3517),
    ("Liège", "Wallonie", "40", 50.6326, 5.5797),
    ("Antwerpen", "Vlaanderen", "20", 51.2194, 4.4025),
    (
        "Molenbeek-Saint-Jean",
        "Bruxelles-Capitale",
        "10",
        50.8545,
        4.3224,
    ),
];
const BE_STREETS: &[&str] = &[
    "rue Neuve",
    "chaussée de Gand",
    "boulevard Anspach",
    "rue de Laeken",
];

const BG_FIRST: &[(&str, &str)] = &[
    ("Иван", "ivan"),
    ("Мария", "maria"),
    ("Георги", "georgi"),
    ("Десислава", "desislava"),
    ("Петър", "petar"),
    ("Йорданка", "yordanka"),
];
const BG_LAST: &[(&str, &str)] = &[
    ("Иванов", "ivanov"),
    ("Петрова", "petrova"),
    ("Димитров", "dimitrov"),
    ("Стоянова", "stoyanova"),
    ("Хаджиев", "hadzhiev"),
];
const BG_CITIES: &[City] = &[
    ("София", "София-град", "10", 42.6977, 23.3219),
    ("Пловдив", "Пловдив", "40", 42.1354, 24.7453),
    ("Варна", "Варна", "90", 43.2141, 27.9147),
];
const BG_STREETS: &[&str] = &["ул. Граф Игнатиев", "бул. Витоша", "ул. Шипка"];

const IT_FIRST: &[(&str, &str)] = &[
    ("Niccolò", "niccolo"),
    ("Giulia", "giulia"),
    ("Mattia", "mattia"),
    ("Chiara", "chiara"),
    ("Gianluca", "gianluca"),
    ("Alessandra", "alessandra"),
];
const IT_LAST: &[(&str, &str)] = &[
    ("Rossi", "rossi"),
    ("Esposito", "esposito"),
    ("D'Angelo", "dangelo"),
    ("Colombo", "colombo"),
    ("Fabbri", "fabbri"),
];
const IT_CITIES: &[City] = &[
    ("Roma", "Lazio", "00", 41.9028, 12.4964),
    ("Milano", "Lombardia", "20", 45.4642, 9.19),
    ("Napoli", "Campania", "80", 40.8518, 14.2681),
    ("Forlì", "Emilia-Romagna", "47", 44.2227, 12.0407),
];
const IT_STREETS: &[&str] = &[
    "Via Roma",
    "Corso Vittorio Emanuele II",
    "Piazza del Popolo",
    "Via Garibaldi",
];

/// The populations, with their weight in the nation (percent).
pub(crate) const LOCALES: &[(u32, Locale)] = &[
    (
        26,
        Locale {
            country: "FR",
            language: "fr",
            first: FR_FIRST,
            last: FR_LAST,
            cities: FR_CITIES,
            streets: FR_STREETS,
            street_style: StreetStyle::NumberFirst,
            zip_len: 5,
            phone_cc: "33",
            domains: &["orange.fr", "free.fr", "laposte.net", "gmail.com"],
        },
    ),
    (
        22,
        Locale {
            country: "DE",
            language: "de",
            first: DE_FIRST,
            last: DE_LAST,
            cities: DE_CITIES,
            streets: DE_STREETS,
            street_style: StreetStyle::NumberLast,
            zip_len: 5,
            phone_cc: "49",
            domains: &["web.de", "gmx.de", "t-online.de", "posteo.de"],
        },
    ),
    (
        12,
        Locale {
            country: "PL",
            language: "pl",
            first: PL_FIRST,
            last: PL_LAST,
            cities: PL_CITIES,
            streets: PL_STREETS,
            street_style: StreetStyle::NumberLast,
            zip_len: 5,
            phone_cc: "48",
            domains: &["wp.pl", "onet.pl", "gmail.com"],
        },
    ),
    (
        12,
        Locale {
            country: "ES",
            language: "es",
            first: ES_FIRST,
            last: ES_LAST,
            cities: ES_CITIES,
            streets: ES_STREETS,
            street_style: StreetStyle::NumberLast,
            zip_len: 5,
            phone_cc: "34",
            domains: &["telefonica.net", "gmail.com", "hotmail.es"],
        },
    ),
    (
        8,
        Locale {
            country: "GR",
            language: "el",
            first: GR_FIRST,
            last: GR_LAST,
            cities: GR_CITIES,
            streets: GR_STREETS,
            street_style: StreetStyle::NumberLast,
            zip_len: 5,
            phone_cc: "30",
            domains: &["otenet.gr", "gmail.com"],
        },
    ),
    (
        8,
        Locale {
            country: "BE",
            language: "fr",
            first: AR_FIRST,
            last: AR_LAST,
            cities: BE_CITIES,
            streets: BE_STREETS,
            street_style: StreetStyle::NumberFirst,
            zip_len: 4,
            phone_cc: "32",
            domains: &["skynet.be", "gmail.com", "outlook.com"],
        },
    ),
    (
        4,
        Locale {
            country: "BG",
            language: "bg",
            first: BG_FIRST,
            last: BG_LAST,
            cities: BG_CITIES,
            streets: BG_STREETS,
            street_style: StreetStyle::NumberLast,
            zip_len: 4,
            phone_cc: "359",
            domains: &["abv.bg", "gmail.com"],
        },
    ),
    (
        8,
        Locale {
            country: "IT",
            language: "it",
            first: IT_FIRST,
            last: IT_LAST,
            cities: IT_CITIES,
            streets: IT_STREETS,
            street_style: StreetStyle::NumberFirst,
            zip_len: 5,
            phone_cc: "39",
            domains: &["libero.it", "tiscali.it", "gmail.com"],
        },
    ),
];

/// Occupations, some empty.
pub(crate) const OCCUPATIONS: &[&str] = &[
    "Enseignante",
    "Krankenpfleger",
    "Ingeniero de caminos",
    "Programista",
    "Αγρότης",
    "",
    "",
    "Retired",
    "Étudiant·e",
    "Freelance – Grafikdesign",
    "Médecin généraliste",
];

/// Employers, some empty.
pub(crate) const EMPLOYERS: &[&str] = &[
    "SNCF",
    "Deutsche Bahn AG",
    "Ayuntamiento de Sevilla",
    "",
    "Université Lyon 2",
    "Self-employed",
    "Société Générale & Cie",
    "\"Die Tafel\" e.V.",
];

/// Party values for the sensitive `party` field ("" is common in real data).
pub(crate) const PARTIES: &[&str] = &[
    "",
    "",
    "Green",
    "Social Democrat",
    "Liberal",
    "Independent",
    "Pirate",
];

/// Religion values (special-category data under GDPR Art. 9).
pub(crate) const RELIGIONS: &[&str] = &[
    "Catholic",
    "Protestant",
    "Muslim",
    "Orthodox",
    "Jewish",
    "None",
];

/// Ethnicity values (special-category data under GDPR Art. 9).
pub(crate) const ETHNICITIES: &[&str] = &[
    "European",
    "North African",
    "Roma",
    "Turkish",
    "Mixed",
    "Prefer not to say",
];

/// Skills for the array custom field.
pub(crate) const SKILLS: &[&str] = &[
    "canvassing",
    "phone banking",
    "graphic design",
    "translation",
    "driving",
    "IT",
    "cooking",
];

/// Opening sentences of notes.
pub(crate) const NOTES: &[&str] = &[
    "Met at the market stall; wants to help with leafleting 🌻",
    "Rappelé le 12/03 – pas disponible avant l'été. Très motivée !",
    "Hat beim Sommerfest geholfen. Möchte keine Anrufe am Wochenende.",
    "Interesada en la campaña local. Prefiere WhatsApp 📱",
    "Δεν θέλει email. Προτιμά τηλέφωνο.",
    "يرغب في المساعدة في الترجمة",
    "Said: \"call me after 6pm\" <b>not before</b> & never on Sundays.\nSecond line\tindented.",
    "🎉🎉🎉 Donated at the gala; table 7 🍾",
];
